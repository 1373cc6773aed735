"""What the report bodies (web/templates/reports/_*.html) use, on a page and in a PDF alike:
each report's charts, and the template helpers for its words and numbers.

A body renders from `report` (the API's model), `charts` (`report_charts(report)`) and
`links` (True on a page: drill-down anchors; False in a PDF: plain text). The helpers are
one template global, `rpt` (web/templating.py), reading the page's `locale`:
`rpt.outcome(value)`, `rpt.reason(outcome, reason)`, `rpt.percent(share)`, `rpt.day(date)`,
`rpt.length(seconds)`, ...

The outcomes' Vietnamese words are the exports' (reports/tables.py), written once; the
English ones are here."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import BaseModel

from reports import charts
from reports.alert_models import AlertDeliveryReport, AlertDeliverySummaries
from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    PeriodicReportPublic,
    ProofOfPlayPublic,
    StationDayPublic,
)
from reports.tables import MISSING, OUTCOMES
from web.formatting import WEEKDAYS_EN, WEEKDAYS_VI
from web.i18n import gettext as _
from web.problems import N_
from web.schedule_plan import TIERS, length

OUTCOMES_EN = {
    "played": "Played",
    "late": "Played late",
    "partial": "Played in part",
    "preempted": "Cut off (priority/emergency)",
    "failed": "Failed",
    "skipped": "Skipped (file missing)",
    "missing": "Not played",
    "upcoming": "Not due yet",
    "unplanned": "Outside the plan",
}
MISSING_EN = {
    "offline": "cluster offline",
    "data_incomplete": "records not all received yet",
    "no_record": "no record",
}
# The alert report's values (alerts/models.py), as the operators say them.
ALERT_WORDS = {
    "Alert": N_("alert"),
    "Update": N_("update"),
    "Cancel": N_("cancel"),
    "Actual": N_("actual"),
    "Exercise": N_("exercise"),
    "Test": N_("test"),
    "pending": N_("waiting for approval"),
    "issued": N_("issued"),
    "superseded": N_("superseded"),
    "cancelled": N_("cancelled"),
    "rejected": N_("rejected"),
    "recorded": N_("recorded, acting on nothing"),
}
KINDS = {"content": N_("bulletin"), "alert": N_("emergency alert"), "unknown": N_("unknown")}
LEVELS = {
    "country": N_("country"),
    "province": N_("province"),
    "commune": N_("commune"),
    "village": N_("village"),
}
BodyReport = (
    StationDayPublic
    | LogBookPublic
    | ProofOfPlayPublic
    | AreaRollupPublic
    | PeriodicReportPublic
    | AlertDeliveryReport
    | AlertDeliverySummaries
)


def _vietnamese(context: Context) -> bool:
    return bool(context.get("locale", "vi") == "vi")


@pass_context
def outcome(context: Context, value: str) -> str:
    words = OUTCOMES if _vietnamese(context) else OUTCOMES_EN
    return words.get(value, value)


@pass_context
def reason(context: Context, outcome_value: str, text: str | None) -> str:
    """A missing item's reason in words; the agent's own words (interrupted, ...) as sent."""
    if not text:
        return ""
    if outcome_value != "missing":
        return text
    words = MISSING if _vietnamese(context) else MISSING_EN
    return words.get(text, text)


def _word(words: dict[str, str], value: str | None) -> str:
    if value is None:
        return "–"
    word = words.get(str(value))
    return _(word) if word else str(value)


def alert_word(value: str) -> str:
    return _word(ALERT_WORDS, value)


def tier(value: str | None) -> str:
    return _word(TIERS, value)


def kind(value: str | None) -> str:
    return _word(KINDS, value)


def level(value: str | None) -> str:
    return _word(LEVELS, value)


@pass_context
def number(context: Context, value: float | None, digits: int = 1) -> str:
    """1 234,5 in Vietnamese, 1,234.5 in English; "–" for none."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, pattern, locale=context.get("locale", "vi"))


@pass_context
def percent(context: Context, share: float | None) -> str:
    """A share (0-1) as 95,2 %; "–" when there is nothing to share (no item due)."""
    if share is None:
        return "–"
    return format_percent(share, "#,##0.#%", locale=context.get("locale", "vi"))


@pass_context
def seconds(context: Context, value: float | None) -> str:
    """A delay as 2,5 s; "–" when the cluster never got that far."""
    return "–" if value is None else f"{number(context, value)} s"


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


@pass_context
def day_name(context: Context, value: date) -> str:
    """Thứ Hai 01/12/2026, Monday 01/12/2026."""
    weekdays = WEEKDAYS_VI if _vietnamese(context) else WEEKDAYS_EN
    return f"{weekdays[value.weekday()]} {value:%d/%m/%Y}"


@pass_context
def local_date(context: Context, moment: datetime) -> str:
    """The day (YYYY-MM-DD) a moment falls on in the page's zone, for a link."""
    return moment.astimezone(ZoneInfo(context["zone"])).date().isoformat()


@pass_context
def language_name(context: Context, tag: str) -> str:
    """A language tag as the reader says it: "de-DE" is "Tiếng Đức (Đức)" in Vietnamese;
    "–" for none (a Cancel that said nothing); the tag itself for one Babel does not know."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name(context.get("locale", "vi"))
    except (ValueError, UnknownLocaleError):
        name = None
    if tag == "und":
        return "–"
    return name or tag


# The bodies' helpers, one template global (`rpt.outcome(...)`): as names of their own they
# would shadow the pages' variables (a page's `day`).
HELPERS = SimpleNamespace(
    OUTCOME_ORDER=tuple(OUTCOMES),
    outcome=outcome,
    reason=reason,
    alert_word=alert_word,
    number=number,
    percent=percent,
    seconds=seconds,
    day=day,
    day_name=day_name,
    local_date=local_date,
    tier=tier,
    kind=kind,
    level=level,
    length=length,
    language_name=language_name,
)


def report_charts(report: BaseModel) -> dict[str, Markup]:
    """The charts a report's body shows, by name, in the current page's language (call it
    after `i18n.use`, as PageView does); a chart with nothing to draw is left out."""
    made: dict[str, Markup | None] = {}
    if isinstance(report, PeriodicReportPublic):
        report = report.rollup
    if isinstance(report, AreaRollupPublic):
        made["daily"] = charts.rollup_daily_chart(report, _)
        made["hours"] = charts.rollup_hours_chart(report.totals, _)
    elif isinstance(report, LogBookPublic):
        made["daily"] = charts.logbook_daily_chart(report, _)
        made["hours"] = charts.logbook_hours_chart(report, _)
    elif isinstance(report, StationDayPublic):
        made["hours"] = charts.station_day_hours_chart(report, _)
    return {name: svg for name, svg in made.items() if svg is not None}
