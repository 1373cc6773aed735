from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import ValidationError

from playlists.builder.recurrence import Recurrence, Repeat

MON = date(2026, 11, 30)  # a Monday


def test_kinds() -> None:
    once = Recurrence(repeat=Repeat.once, start_date=MON)
    assert once.occurs_on(MON) and not once.occurs_on(date(2026, 12, 1))
    weekdays = Recurrence(repeat=Repeat.weekdays, weekdays=frozenset({0, 2, 4}))
    week = [MON.replace(day=30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 5)]
    assert [weekdays.occurs_on(d) for d in week] == [True, False, True, False]
    monthly = Recurrence(repeat=Repeat.monthly, day_of_month=31)
    assert monthly.occurs_on(date(2026, 12, 31)) and not monthly.occurs_on(date(2026, 11, 30))
    span = Recurrence(
        repeat=Repeat.date_range,
        start_date=date(2026, 12, 1),
        end_date=date(2026, 12, 3),
        exceptions=frozenset({date(2026, 12, 2)}),
    )
    assert [span.occurs_on(date(2026, 12, d)) for d in range(1, 5)] == [True, False, True, False]
    daily = Recurrence(repeat=Repeat.daily, end_date=date(2026, 12, 1))
    assert daily.occurs_on(MON) and not daily.occurs_on(date(2026, 12, 2))


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"repeat": "once"}, "needs start_date"),
        ({"repeat": "range", "start_date": "2026-12-01"}, "needs end_date"),
        ({"repeat": "weekdays"}, "at least one weekday"),
        ({"repeat": "weekdays", "weekdays": [7]}, "0 (Monday) to 6"),
        ({"repeat": "monthly"}, "day_of_month"),
        ({"repeat": "daily", "start_date": "2026-12-02", "end_date": "2026-12-01"}, "before"),
    ],
)
def test_incomplete_recurrences_are_refused(fields: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        Recurrence.model_validate(fields)
