"""The reports' query parameters, one class each: a report and its export take the same
one, so the file never disagrees with what the API (or a page) shows."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from core.errors import Invalid
from core.models import MAX_ID, IsoDate
from reports.exports import ExportFormat
from reports.periods import MAX_DAYS, Period, period_bounds

# Days a report can be about: beyond them, date arithmetic (and the database) overflows.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def check_day(day: date | None, field: str) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise Invalid(
            f"{day} is outside the days reports cover ({EARLIEST} to {LATEST})", field=field
        )


def _check_range(first: date, last: date) -> None:
    check_day(first, "from")
    check_day(last, "to")
    if last < first:
        raise Invalid(f"to ({last}) is before from ({first})", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"a range holds at most {MAX_DAYS} days", field="to")


From = Annotated[IsoDate | None, Query(alias="from", description="the first day")]
To = Annotated[IsoDate | None, Query(alias="to", description="the last day (included)")]


class RangeFilter:
    """A period that holds a day (a month by default), or a range of days."""

    def __init__(
        self,
        period: Annotated[Period | None, Query(description="day, week, month, ...")] = None,
        day: Annotated[
            IsoDate | None,
            Query(alias="date", description="a day of the period; today if left out"),
        ] = None,
        first: Annotated[
            IsoDate | None, Query(alias="from", description="or a range: from")
        ] = None,
        last: Annotated[IsoDate | None, Query(alias="to", description="to (included)")] = None,
    ) -> None:
        if period is not None and (first is not None or last is not None):
            raise Invalid(
                "give a period (with a date) or a range (from, to), not both", field="period"
            )
        if period is None and (first is None) != (last is None):
            raise Invalid("a range needs both from and to", field="from" if first is None else "to")
        if first is not None and last is not None:
            _check_range(first, last)
        check_day(day, "date")
        self.period, self.day, self.first, self.last = period, day, first, last

    def bounds(self, today: date) -> tuple[str, date, date]:
        """The period's name ("range" for one), first day and last day."""
        if self.first is not None and self.last is not None:
            return "range", self.first, self.last
        chosen = self.period or Period.month
        first, last = period_bounds(chosen, self.day or today)
        return chosen.value, first, last


class ProofFilter:
    """One bulletin (its lineage, or any version of it) over a range of days."""

    def __init__(
        self,
        lineage_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        content_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="or any version")
        ] = None,
        first: Annotated[
            IsoDate | None, Query(alias="from", description="first day; today")
        ] = None,
        last: Annotated[
            IsoDate | None, Query(alias="to", description="last day (included)")
        ] = None,
    ) -> None:
        if (lineage_id is None) == (content_id is None):
            raise Invalid("give lineage_id or content_id, one of them", field="lineage_id")
        if first is not None and last is not None:
            _check_range(first, last)
        self.lineage_id, self.content_id, self.first, self.last = (
            lineage_id,
            content_id,
            first,
            last,
        )

    def days(self, today: date) -> tuple[date, date]:
        first, last = self.first or self.last or today, self.last or self.first or today
        _check_range(first, last)
        return first, last


RangeDep = Annotated[RangeFilter, Depends()]
ProofDep = Annotated[ProofFilter, Depends()]
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv, xlsx or pdf")]
PeriodQuery = Annotated[Period, Query(description="month, quarter, half (six months) or year")]
DayQuery = Annotated[
    IsoDate | None, Query(alias="date", description="a day of the period; today if left out")
]
