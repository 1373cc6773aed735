"""When the demo's session starts: a little after now, in the commune's local time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Long enough for the agents to start, enrol, pull the manifest and fetch the audio;
# short enough that the first sound comes within a minute of seeding.
DEFAULT_LEAD = timedelta(seconds=35)


@dataclass(frozen=True, kw_only=True)
class LocalStart:
    """A session start as the builder sees it: a local day and a local time of day."""

    day: date
    at: time
    utc: datetime


def session_start(*, now: datetime, timezone: str, lead: timedelta = DEFAULT_LEAD) -> LocalStart:
    """`now + lead`, rounded up to a whole second, in `timezone`. Across local midnight the
    day is tomorrow's, which a daily session covers too."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    moment = now + lead
    whole = moment.replace(microsecond=0)
    if whole < moment:
        whole += timedelta(seconds=1)
    local = whole.astimezone(ZoneInfo(timezone))
    return LocalStart(day=local.date(), at=local.time().replace(tzinfo=None), utc=whole)


def seconds_until(*, moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, never negative: for "starts in N s"."""
    return max(0, math.ceil((moment - now).total_seconds()))
