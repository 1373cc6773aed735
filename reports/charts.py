"""The reports' charts as SVG, drawn by matplotlib: what aired against what was missed each
day, and what aired by the local hour it started in. Pure: a report's model in, an SVG
(markupsafe.Markup, to put in a page or a PDF as it is) out.

Text stays text (`svg.fonttype: none`): the page's or the PDF's font draws it, Vietnamese
diacritics included, and a screen reader or a PDF's text layer reads it. The SVG keeps its
viewBox and drops its fixed size, so it scales to a phone's width; it names itself
(role="img", a <title>) and carries its figures as text (a <desc>).

The words come from the caller's gettext (`_`), so a page speaks its language and a PDF
Vietnamese; babel.cfg extracts them from this file. matplotlib is imported on the first
chart, not with the module: the CLI starts without it."""

from __future__ import annotations

import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    StationDayPublic,
    StationDaySummary,
    TotalsPublic,
)
from reports.periods import days_in

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Translate = Callable[[str], str]

# app.css's colours: aired (ok), in part (amber), not aired (danger), the hours (accent)
AIRED, PARTLY, MISSED, BARS, INK, LINE = (
    "#116329",
    "#c98a00",
    "#b42318",
    "#0b5cad",
    "#1b1f24",
    "#d0d7de",
)
# an id, or a reference to one: id="p1", url(#p1), xlink:href="#p1"
_SERIAL = itertools.count(1)
_IDS = re.compile(r'(\bid="|url\(#|href="#)([^")]+)([")])')
HOURS = tuple(f"{hour:02d}" for hour in range(24))
MONTHLY_FROM_DAYS = 63  # a longer range is drawn by month: a day's bar would be a hair
_AIRED_OUTCOMES = ("played", "late")
_PARTLY_OUTCOMES = ("partial", "preempted")
_MISSED_OUTCOMES = ("failed", "skipped", "missing")
_ON_AIR = (*_AIRED_OUTCOMES, *_PARTLY_OUTCOMES)


@dataclass(frozen=True, slots=True)
class DayCounts:
    """One bar of the daily chart: the items due that day, by what became of them."""

    label: str
    aired: int
    partly: int
    missed: int


def _of_totals(label: str, totals: TotalsPublic) -> DayCounts:
    return DayCounts(
        label,
        totals.played + totals.late,
        totals.partial + totals.preempted,
        totals.failed + totals.skipped + totals.missing,
    )


def _of_summary(label: str, summary: StationDaySummary) -> DayCounts:
    outcomes = summary.outcomes
    return DayCounts(
        label,
        sum(outcomes.get(o, 0) for o in _AIRED_OUTCOMES),
        sum(outcomes.get(o, 0) for o in _PARTLY_OUTCOMES),
        sum(outcomes.get(o, 0) for o in _MISSED_OUTCOMES),
    )


def _none(day: date) -> DayCounts:
    """A day of the range with no summary: nothing was due (or nothing is known yet)."""
    return DayCounts(f"{day:%d/%m}", 0, 0, 0)


def _by_month(days: Sequence[tuple[date, DayCounts]]) -> list[DayCounts]:
    months: dict[tuple[int, int], list[int]] = {}
    for day, counts in days:
        sums = months.setdefault((day.year, day.month), [0, 0, 0])
        sums[0] += counts.aired
        sums[1] += counts.partly
        sums[2] += counts.missed
    return [DayCounts(f"{m:02d}/{y}", *sums) for (y, m), sums in months.items()]


def _day_bars(days: Sequence[tuple[date, DayCounts]]) -> list[DayCounts]:
    return _by_month(days) if len(days) >= MONTHLY_FROM_DAYS else [c for _, c in days]


def rollup_daily_chart(report: AreaRollupPublic, _: Translate) -> Markup | None:
    """Aired against missed for each day of an area's roll-up (None: no day to draw)."""
    summed = {d.date: d.totals for d in report.days}
    days = [
        (day, _of_totals(f"{day:%d/%m}", summed[day]) if day in summed else _none(day))
        for day in days_in(report.first, report.last)
    ]
    return daily_chart(_day_bars(days), _, name="rollup-daily")


def logbook_daily_chart(book: LogBookPublic, _: Translate) -> Markup | None:
    """Aired against missed for each day of a station's log book."""
    days = [(d.date, _of_summary(f"{d.date:%d/%m}", d.summary)) for d in book.days]
    return daily_chart(_day_bars(days), _, name="logbook-daily")


def rollup_hours_chart(totals: TotalsPublic, _: Translate) -> Markup | None:
    """What aired by the stations' local hour it started in (None: nothing aired)."""
    counts = {hour: totals.by_hour[hour].bulletins for hour in totals.by_hour}
    return hours_chart(counts, _, name="rollup-hours")


def station_day_hours_chart(report: StationDayPublic, _: Translate) -> Markup | None:
    """What aired of a station's day by the local hour it started in: the planned items
    that went on the air (whole or in part) and what aired outside the plan."""
    zone = ZoneInfo(report.timezone)
    starts: list[datetime] = [i.start for i in report.items if i.outcome in _ON_AIR]
    starts += [r.started_at for r in report.unplanned if r.started_at is not None]
    return hours_chart(_hours(starts, zone), _, name="station-day-hours")


def logbook_hours_chart(book: LogBookPublic, _: Translate) -> Markup | None:
    """What aired in a station's week by the local hour it started in."""
    zone = ZoneInfo(book.timezone)
    starts = [e.at for d in book.days for e in d.entries if e.aired_s > 0]
    return hours_chart(_hours(starts, zone), _, name="logbook-hours")


def _hours(moments: Iterable[datetime], zone: ZoneInfo) -> dict[str, int]:
    return dict(Counter(f"{m.astimezone(zone).hour:02d}" for m in moments))


def daily_chart(bars: Sequence[DayCounts], _: Translate, *, name: str) -> Markup | None:
    """Stacked bars, one a day (or a month): aired in full, in part, not aired."""
    if not bars or not any(b.aired + b.partly + b.missed for b in bars):
        return None
    title = _("Aired and not aired, by day")
    desc = "; ".join(
        _("%(day)s: %(aired)d aired, %(partly)d in part, %(missed)d not aired")
        % {"day": b.label, "aired": b.aired, "partly": b.partly, "missed": b.missed}
        for b in bars
    )
    labels = [b.label for b in bars]
    aired = [b.aired for b in bars]
    partly = [b.partly for b in bars]
    missed = [b.missed for b in bars]
    tops = [a + p for a, p in zip(aired, partly, strict=True)]

    def paint(axes: Axes) -> None:
        axes.bar(labels, aired, color=AIRED, label=_("aired"))
        axes.bar(labels, partly, bottom=aired, color=PARTLY, label=_("in part"))
        axes.bar(labels, missed, bottom=tops, color=MISSED, label=_("not aired"))
        axes.set_ylabel(_("bulletins"))
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False)
        _thin_ticks(axes, len(labels))

    return _draw(paint, name, title, desc)


def hours_chart(counts: dict[str, int], _: Translate, *, name: str) -> Markup | None:
    """Bars for the 24 local hours: how many bulletins started in each."""
    if not any(counts.values()):
        return None
    title = _("Bulletins aired, by hour")
    desc = "; ".join(
        _("%(hour)sh: %(count)d") % {"hour": hour, "count": counts[hour]}
        for hour in HOURS
        if counts.get(hour)
    )

    def paint(axes: Axes) -> None:
        axes.bar(HOURS, [counts.get(hour, 0) for hour in HOURS], color=BARS)
        axes.set_xlabel(_("hour of the day"))
        axes.set_ylabel(_("bulletins"))
        _thin_ticks(axes, len(HOURS), every=2)

    return _draw(paint, name, title, desc)


def _thin_ticks(axes: Axes, count: int, every: int = 0) -> None:
    """Every label while they fit, else every n-th one (a month's 31 days: every 2nd)."""
    step = every or max(1, -(-count // 16))
    for index, label in enumerate(axes.get_xticklabels()):
        label.set_visible(index % step == 0)


def _draw(paint: Callable[[Axes], None], name: str, title: str, desc: str) -> Markup:
    """One chart, in the reports' style, as inline SVG."""
    # The object-oriented API, no pyplot: no GUI backend, no global list of figures.
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    buffer = io.StringIO()
    with rc_context(
        {
            "svg.fonttype": "none",  # text as <text>: the reader's font, Vietnamese and all
            "svg.hashsalt": name,  # the same chart, the same SVG
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans", "Noto Sans", "Arial"],
            "font.size": 10,
            "text.color": INK,
            "axes.labelcolor": INK,
        }
    ):
        figure = Figure(figsize=(7.2, 2.3), layout="constrained")
        axes = figure.subplots()
        axes.spines[["top", "right"]].set_visible(False)
        axes.spines[["left", "bottom"]].set_color(LINE)
        axes.tick_params(colors=INK, labelsize=9, length=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        axes.grid(axis="y", color=LINE, linewidth=0.6)
        axes.set_axisbelow(True)
        paint(axes)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _accessible(buffer.getvalue(), name, title, desc)


def _accessible(svg: str, name: str, title: str, desc: str) -> Markup:
    """Inline-ready: no XML prolog or metadata, no fixed size (the viewBox stays), named
    as an image with its figures as text."""
    start = svg.index("<svg")
    head_end = svg.index(">", start)
    head = svg[start:head_end]
    head = _drop_attribute(_drop_attribute(head, "width"), "height")
    body = svg[head_end + 1 :]
    if "<metadata>" in body:
        body = body[: body.index("<metadata>")] + body[body.index("</metadata>") + 11 :]
    # Numbered too: a page may show the same chart of several areas (the dashboard).
    label = f"chart-{name}-{next(_SERIAL)}"
    # Ids of one chart's own, so that two charts on a page never share one.
    body = _IDS.sub(lambda m: f"{m[1]}{label}-{m[2]}{m[3]}", body)
    opening = (
        f'{head} class="chart-svg" role="img" aria-labelledby="{label}-title {label}-desc">'
        f'<title id="{label}-title">{escape(title)}</title>'
        f'<desc id="{label}-desc">{escape(desc)}</desc>'
    )
    return Markup(opening + body.strip())  # matplotlib escapes its text; ours is escaped above


def _drop_attribute(tag: str, attribute: str) -> str:
    marker = f' {attribute}="'
    at = tag.find(marker)
    if at < 0:
        return tag
    end = tag.index('"', at + len(marker))
    return tag[:at] + tag[end + 1 :]
