"""Report periods: a day, a week (Monday to Sunday), a month, a quarter, six months, a year,
or any range of days. Pure."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

MAX_DAYS = 366


class Period(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"
    half = "half"  # six months: January to June, July to December
    year = "year"


def period_bounds(period: Period, anchor: date) -> tuple[date, date]:
    """The first and last day of the period that holds `anchor`."""
    if period is Period.day:
        return anchor, anchor
    if period is Period.week:
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6)
    months = {Period.month: 1, Period.quarter: 3, Period.half: 6, Period.year: 12}[period]
    start_month = (anchor.month - 1) // months * months + 1
    first = date(anchor.year, start_month, 1)
    return first, _add_months(first, months) - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    return date(day.year + total // 12, total % 12 + 1, 1)


def days_in(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
