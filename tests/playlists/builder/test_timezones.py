"""The builder does not lean on Vietnam having no daylight saving: Berlin across both
changes, Hanoi beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from playlists.builder.day import build_day
from playlists.builder.domain import DayInputs
from tests.playlists.builder.helpers import content, hard, session, soft


def _inputs(zone: str) -> DayInputs:
    return DayInputs(
        timezone=zone,
        sessions=(session(1, "05:30", 15), session(2, "01:30", 120)),
        content=(content(10, 60), content(11, 60)),
        queue=(soft(100, 10, 1), soft(101, 11, 2), hard(102, 11, "02:30")),
    )


@pytest.mark.parametrize(
    ("zone", "day", "morning_utc", "night_utc", "two_thirty_utc"),
    [
        # Winter time (UTC+1) and summer time (UTC+2) either side of the changes.
        ("Europe/Berlin", date(2026, 3, 28), (4, 30), (0, 30), (1, 30)),
        # Spring forward: 02:00-03:00 does not exist; 02:30 is read as 03:30.
        ("Europe/Berlin", date(2026, 3, 29), (3, 30), (0, 30), (1, 30)),
        # Fall back: 02:00-03:00 happens twice; the first one counts.
        ("Europe/Berlin", date(2026, 10, 25), (4, 30), (23, 30), (0, 30)),
        ("Asia/Ho_Chi_Minh", date(2026, 3, 29), (22, 30), (18, 30), (19, 30)),
    ],
)
def test_local_times_become_the_right_instants(
    zone: str,
    day: date,
    morning_utc: tuple[int, int],
    night_utc: tuple[int, int],
    two_thirty_utc: tuple[int, int],
) -> None:
    timeline = build_day(_inputs(zone), day)
    by_queue = {i.queue_id: i.start for i in timeline.items}

    def hm(moment: datetime) -> tuple[int, int]:
        return moment.astimezone(UTC).hour, moment.astimezone(UTC).minute

    assert hm(by_queue[100]) == morning_utc
    assert hm(by_queue[101]) == night_utc
    assert hm(by_queue[102]) == two_thirty_utc
    assert timeline.warnings == ()
