"""Broadcast sessions (phiên phát), area policy and the queue, as stored."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, model_validator
from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime
from playlists.builder.recurrence import Recurrence


def _local(value: time) -> time:
    # A number (seconds) or a time with an offset reads as an aware time, which the builder
    # cannot compare with the area's wall clock.
    if value.tzinfo is not None:
        raise ValueError("a local time has no offset: HH:MM or HH:MM:SS in the area's zone")
    return value


LocalTime = Annotated[time, AfterValidator(_local)]


class AfterCut(StrEnum):
    """What happens to a bulletin of the session that a higher layer (an emergency alert, a
    broadcast now order) cuts."""

    resume = "resume"  # join it again where the clock says, as after a restart
    replay = "replay"  # play it again from the start after the session's last item


class SessionIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    area_id: Id = Field(description="The area whose operators manage the session")
    target_area_ids: list[Id] = Field(
        default_factory=list, max_length=200, description="Area subtrees whose stations play it"
    )
    target_group_ids: list[Id] = Field(default_factory=list, max_length=200)
    start: LocalTime = Field(description="Local start time, e.g. 05:30")
    max_length_s: int = Field(gt=0, le=24 * 3600)
    recurrence: Recurrence
    volume: int = Field(default=80, ge=0, le=100)
    enabled: bool = True
    after_cut: AfterCut = Field(
        default=AfterCut.resume,
        description="A bulletin a higher layer cuts: resume it where the clock says, or "
        "replay it from the start at the end of the session if it still fits",
    )

    @model_validator(mode="after")
    def _has_targets(self) -> SessionIn:
        if not self.target_area_ids and not self.target_group_ids:
            raise ValueError("a session needs at least one target area or station group")
        return self


class SessionUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "target_area_ids",
            "target_group_ids",
            "start",
            "max_length_s",
            "recurrence",
            "volume",
            "enabled",
            "after_cut",
        }
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    target_area_ids: list[Id] | None = Field(default=None, max_length=200)
    target_group_ids: list[Id] | None = Field(default=None, max_length=200)
    start: LocalTime | None = None
    max_length_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    recurrence: Recurrence | None = None
    volume: int | None = Field(default=None, ge=0, le=100)
    enabled: bool | None = None
    after_cut: AfterCut | None = None


class BroadcastSession(SQLModel, table=True):
    __tablename__ = "broadcast_session"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    start: time
    max_length_s: int
    recurrence_json: str = Field(sa_column=Column(Text, nullable=False))
    volume: int = 80
    enabled: bool = True
    # AfterCut: what happens to a bulletin an alert or a broadcast now order cuts.
    after_cut: str = Field(
        default="resume", sa_column=Column(String(8), nullable=False, server_default="resume")
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence.model_validate_json(self.recurrence_json)


class SessionTarget(SQLModel, table=True):
    """One target of a session: an area subtree or a station group."""

    __tablename__ = "session_target"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("broadcast_session.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    area_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=True, index=True
        ),
    )
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("station_group.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )


class SessionPublic(OutputModel):
    id: int
    name: str
    area_id: int
    target_area_ids: list[int]
    target_group_ids: list[int]
    start: time
    max_length_s: int
    recurrence: Recurrence
    volume: int
    enabled: bool
    after_cut: AfterCut
    created_at: datetime
    updated_at: datetime


class SessionsPublic(OutputModel):
    data: list[SessionPublic]
    count: int


class QuietHoursIn(InputModel):
    start: LocalTime
    end: LocalTime


class PolicyIn(InputModel):
    """An area's own policy; a field left null is inherited from the area above."""

    quiet_hours: list[QuietHoursIn] | None = Field(default=None, max_length=10)
    max_session_length_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    max_sessions_per_day: int | None = Field(default=None, ge=0, le=48)
    days_off: list[int] | None = Field(
        default=None, max_length=7, description="Weekdays without sessions, 0 = Monday"
    )
    dates_off: list[date] | None = Field(default=None, max_length=366)
    default_volume: int | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _weekdays(self) -> PolicyIn:
        if self.days_off and any(not 0 <= d <= 6 for d in self.days_off):
            raise ValueError("days_off are weekdays from 0 (Monday) to 6 (Sunday)")
        return self


class AreaPolicy(SQLModel, table=True):
    __tablename__ = "area_policy"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    # PolicyIn as JSON: only the fields this area sets.
    policy_json: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PolicyPublic(OutputModel):
    area_id: int
    own: PolicyIn
    effective: PolicyIn


class QueueIn(InputModel):
    content_id: Id = Field(description="An approved item; later approved versions follow")
    session_id: Id = Field(description="The session whose stations play it")
    recurrence: Recurrence = Field(description="When: once on a date, or recurring")
    at: LocalTime | None = Field(default=None, description="A fixed local time (hard item)")
    relay_length_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    repeat: int = Field(default=1, ge=1, le=50)
    order: int = Field(default=0, ge=-1000, le=1000)

    @model_validator(mode="after")
    def _relay_has_time(self) -> QueueIn:
        if self.relay_length_s is not None and self.at is None:
            raise ValueError("a relay length needs a fixed time (at)")
        return self


class QueueUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset({"recurrence", "repeat", "order"})

    recurrence: Recurrence | None = None
    at: LocalTime | None = None
    relay_length_s: int | None = Field(default=None, gt=0, le=24 * 3600)
    repeat: int | None = Field(default=None, ge=1, le=50)
    order: int | None = Field(default=None, ge=-1000, le=1000)


class QueueEntry(SQLModel, table=True):
    __tablename__ = "queue_entry"

    id: int | None = Field(default=None, primary_key=True)
    # The content's lineage: the version approved at build time is the one played.
    lineage_id: int = Field(index=True)
    session_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("broadcast_session.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    recurrence_json: str = Field(sa_column=Column(Text, nullable=False))
    at: time | None = None
    relay_length_s: int | None = None
    repeat: int = 1
    order: int = 0
    created_by: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence.model_validate_json(self.recurrence_json)


class QueuePublic(OutputModel):
    id: int
    lineage_id: int
    session_id: int
    recurrence: Recurrence
    at: time | None
    relay_length_s: int | None
    repeat: int
    order: int
    created_by: int
    created_at: datetime


class QueuesPublic(OutputModel):
    data: list[QueuePublic]
    count: int
