"""A report page's filter as typed (strings from a GET form) turned into the reports'
own filter (`RangeFilter`), with each problem in the page's language beside its field.
The page and its downloads then carry the same query, so the file is what the page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from core.errors import Invalid
from reports.filters import RangeFilter
from reports.periods import MAX_DAYS, Period
from web.i18n import gettext as _
from web.problems import N_, translate_refusal
from web.schedule_pages import NotADay, parse_day

RANGE = "range"  # the form's choice for "from – to" beside the calendar periods
PERIOD_LABELS = {
    "day": N_("Day"),
    "week": N_("Week"),
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "half": N_("Six months"),
    "year": N_("Year"),
    RANGE: N_("From – to"),
}
# The reports' refusals (reports/filters.py), as a page says them.
_MESSAGES = (
    (re.compile(r"outside the days reports cover"), N_("Choose a day from 2000 to 2099.")),
    (re.compile(r"is before from"), N_("The last day comes before the first day.")),
    (re.compile(r"at most \d+ days"), N_("A range holds at most %(days)d days.")),
    (re.compile(r"needs both from and to"), N_("Enter both the first and the last day.")),
    (
        re.compile(r"periodic report is for"),
        N_("A periodic report is for a month, a quarter, six months or a year."),
    ),
    (re.compile(r"control characters"), N_("A name may not hold control characters.")),
)


@dataclass
class RangeForm:
    period: str = "month"
    day: str = ""
    first: str = ""
    last: str = ""
    problems: dict[str, str] = field(default_factory=dict)

    def query(self) -> str:
        """The canonical query of this filter: the page's, its exports', its links'."""
        if self.period == RANGE:
            return urlencode({"from": self.first, "to": self.last})
        return urlencode({"period": self.period, **({"date": self.day} if self.day else {})})


def range_form(
    period: str | None, day: str | None, first: str | None, last: str | None
) -> RangeForm:
    chosen = period or (RANGE if first or last else "month")
    return RangeForm(chosen, day or "", first or "", last or "")


def range_filter(form: RangeForm, today: date) -> RangeFilter | None:
    """The reports' filter, or None with `form.problems` filled."""
    if form.period not in PERIOD_LABELS:
        form.problems["period"] = _("Choose a period from the list.")
        return None
    days: dict[str, date | None] = {}
    for name in ("day", "first", "last"):
        try:
            days[name] = parse_day(getattr(form, name))
        except NotADay:
            form.problems[name] = _("Enter a date as DD/MM/YYYY.")
    if form.problems:
        return None
    try:
        if form.period == RANGE:
            first, last = days["first"], days["last"]
            return RangeFilter(period=None, day=None, first=first, last=last)
        return RangeFilter(period=Period(form.period), day=days["day"] or today)
    except Invalid as exc:
        where = {"from": "first", "to": "last", "date": "day"}.get(exc.field or "", "period")
        form.problems[where] = refusal_message(str(exc))
        return None


def known_refusal(text: str) -> str | None:
    """A report's refusal (reports/filters.py, reports/routes.py) as a page says it, or
    None for one the reports do not make."""
    for pattern, shown in _MESSAGES:
        if pattern.search(text):
            return _(shown) % {"days": MAX_DAYS} if "%(days)" in shown else _(shown)
    return None


def refusal_message(text: str) -> str:
    return known_refusal(text) or translate_refusal(text)


def week_range(today: date) -> RangeForm:
    """The last seven days to today: the dashboard's."""
    return RangeForm(RANGE, "", str(today - timedelta(days=6)), str(today))
