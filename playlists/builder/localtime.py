"""Local wall-clock times to UTC instants, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `at` on `day` in `zone`.

    A time skipped by a spring-forward change is moved forward by the gap (02:30 on the
    change day in Berlin becomes 03:30 local); a time that happens twice in autumn means
    the first of the two.
    """
    # zoneinfo reads fold=0 with the offset in force before the change: for a skipped
    # time that lands after the gap, for a repeated time it is the first occurrence.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)
