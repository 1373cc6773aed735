"""When a session (phiên phát) or a queued item happens: once, daily, on chosen weekdays,
on a day of the month, or on every day of a date range, minus exception dates."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Repeat(StrEnum):
    once = "once"
    daily = "daily"
    weekdays = "weekdays"
    monthly = "monthly"
    date_range = "range"


class Recurrence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    repeat: Repeat
    # once: the date; range: the first day. Other kinds: optional first day.
    start_date: date | None = None
    # range: the last day (inclusive). Other kinds: optional last day.
    end_date: date | None = None
    # weekdays: 0 = Monday … 6 = Sunday
    weekdays: frozenset[int] = Field(default=frozenset())
    # monthly: the day of the month; months without that day are skipped
    day_of_month: int | None = Field(default=None, ge=1, le=31)
    exceptions: frozenset[date] = Field(default=frozenset())

    @model_validator(mode="after")
    def _complete(self) -> Recurrence:
        if self.repeat in (Repeat.once, Repeat.date_range) and self.start_date is None:
            raise ValueError(f"a {self.repeat.value} recurrence needs start_date")
        if self.repeat == Repeat.date_range and self.end_date is None:
            raise ValueError("a range recurrence needs end_date")
        if self.repeat == Repeat.weekdays and not self.weekdays:
            raise ValueError("a weekdays recurrence needs at least one weekday (0 = Monday)")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")
        if self.repeat == Repeat.monthly and self.day_of_month is None:
            raise ValueError("a monthly recurrence needs day_of_month")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

    def occurs_on(self, day: date) -> bool:
        if day in self.exceptions:
            return False
        if self.repeat == Repeat.once:
            return day == self.start_date
        if self.start_date is not None and day < self.start_date:
            return False
        if self.end_date is not None and day > self.end_date:
            return False
        if self.repeat == Repeat.weekdays:
            return day.weekday() in self.weekdays
        if self.repeat == Repeat.monthly:
            return day.day == self.day_of_month
        return True  # daily, or any day of the range
