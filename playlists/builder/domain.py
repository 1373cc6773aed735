"""What the playlist builder takes and gives: plain, frozen values, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from playlists.builder.recurrence import Recurrence


class TierRank(IntEnum):
    """Circular 39/2020: lower value plays first."""

    emergency = 0
    priority = 1
    normal = 2


class Timing(StrEnum):
    hard = "hard"  # starts at its time
    soft = "soft"  # follows the previous item in its session
    relay = "relay"  # a stream for a fixed length, at its time


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContentSpec(Frozen):
    id: int
    title: str
    tier: TierRank
    duration_s: float | None  # None for relays: the queue entry gives the length
    sha256: str | None = None
    stream_url: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def valid_during(self, start: datetime, end: datetime) -> bool:
        after_start = self.valid_from is None or start >= self.valid_from
        before_end = self.valid_until is None or end <= self.valid_until
        return after_start and before_end


class SessionSpec(Frozen):
    """A broadcast session (phiên phát) that applies to the station."""

    id: int
    name: str
    start: time
    max_length_s: int = Field(gt=0, le=24 * 3600)
    recurrence: Recurrence
    volume: int = Field(default=80, ge=0, le=100)
    enabled: bool = True
    # A bulletin a higher layer cuts: "resume" where the clock says, or "replay" it whole
    # after the session's last item (the builder warns when no bulletin would fit there).
    after_cut: str = "resume"


class QueueSpec(Frozen):
    """A queued content item: into a session (soft), or at a fixed time (hard or relay)."""

    id: int
    content_id: int
    recurrence: Recurrence
    session_id: int | None = None
    at: time | None = None
    relay_length_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    repeat: int = Field(default=1, ge=1, le=50)
    order: int = 0
    # For an item at a fixed time: the session it was queued in (which gives its targets);
    # it stays off the air while that session is disabled.
    owner_id: int | None = None

    @model_validator(mode="after")
    def _placed(self) -> QueueSpec:
        if (self.session_id is None) == (self.at is None):
            raise ValueError("a queue entry goes either into a session or at a fixed time")
        if self.relay_length_s is not None and self.at is None:
            raise ValueError("a relay needs a fixed time")
        return self

    @property
    def timing(self) -> Timing:
        if self.relay_length_s is not None:
            return Timing.relay
        return Timing.hard if self.at is not None else Timing.soft


class QuietHours(Frozen):
    start: time
    end: time  # may be earlier than start: the quiet hours run over midnight


class PolicySpec(Frozen):
    """Policy in force for the station (already inherited down the area tree)."""

    quiet_hours: tuple[QuietHours, ...] = ()
    max_session_length_s: int | None = Field(default=None, gt=0)
    max_sessions_per_day: int | None = Field(default=None, ge=0)
    days_off: frozenset[int] = frozenset()  # weekdays without sessions, 0 = Monday
    dates_off: frozenset[date] = frozenset()
    default_volume: int = Field(default=80, ge=0, le=100)


class DayInputs(Frozen):
    """Everything that decides one station's day. Stations with equal inputs share a
    timeline, so the station itself is not part of it."""

    timezone: str
    sessions: tuple[SessionSpec, ...]
    queue: tuple[QueueSpec, ...]
    content: tuple[ContentSpec, ...]
    policy: PolicySpec = PolicySpec()


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineItem:
    start: datetime
    duration_s: float
    timing: Timing
    tier: TierRank
    volume: int
    content_id: int
    queue_id: int
    session_id: int | None
    title: str
    sha256: str | None
    stream_url: str | None

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildWarning:
    code: str
    queue_id: int | None
    content_id: int | None
    session_id: int | None
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionWindow:
    """A session on air that day, as cut by policy: the agent's volume plan follows it."""

    session_id: int
    name: str
    start: datetime
    end: datetime
    volume: int
    after_cut: str = "resume"


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    day: date
    timezone: str
    sessions: tuple[SessionWindow, ...]
    items: tuple[TimelineItem, ...]
    warnings: tuple[BuildWarning, ...]
