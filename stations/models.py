"""Stations (one per loudspeaker cluster, cụm loa) and named groups of them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime


class StationBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    # The operator's own label, e.g. "cụm loa thôn Đông"; unique when given.
    code: str | None = Field(default=None, max_length=60, unique=True)
    # Test and Exercise alerts are delivered and acknowledged everywhere, but heard only
    # where this is on (phát tin diễn tập: a station chosen for a drill).
    plays_test_alerts: bool = Field(
        default=False, description="Play Test and Exercise alerts (diễn tập), not only Actual"
    )
    # Where the loudspeakers stand (WGS 84), for alerts that target a polygon or a circle.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class StationCreate(StationBase, InputModel):
    area_id: Id


class StationUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset({"name", "area_id", "plays_test_alerts"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=60)
    area_id: Id | None = None
    plays_test_alerts: bool | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class Station(StationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class StationStatus(StrEnum):
    not_enrolled = "not_enrolled"  # chưa kết nối: no agent has enrolled yet
    online = "online"  # đang hoạt động: a heartbeat arrived recently
    offline = "offline"  # mất kết nối: heartbeats missed
    revoked = "revoked"  # đã thu hồi: its token no longer works


class StationPublic(StationBase, OutputModel):
    id: int
    area_id: int
    created_at: datetime
    # The agent, as its last heartbeat told it.
    status: StationStatus = StationStatus.not_enrolled
    enrolled_at: datetime | None = None
    last_seen_at: datetime | None = None
    manifest_version: int | None = None
    now_playing: dict[str, Any] | None = None
    clock_offset_ms: int | None = None
    agent_version: str | None = None
    disk_free_bytes: int | None = None
    cpu_temp_c: float | None = None
    volume: int | None = None
    last_error: str | None = None


class StationsPublic(OutputModel):
    data: list[StationPublic]
    count: int


class StationGroupCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    area_id: Id = Field(description="The area whose operators and admins manage the group")
    station_ids: list[Id] = Field(default_factory=list, max_length=5000)


class StationGroupUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset({"name", "station_ids"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    station_ids: list[Id] | None = Field(default=None, max_length=5000)


class StationGroup(SQLModel, table=True):
    __tablename__ = "station_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(sa_type=UTCDateTime)


class StationGroupMember(SQLModel, table=True):
    __tablename__ = "station_group_member"
    __table_args__ = (UniqueConstraint("group_id", "station_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("station_group.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    station_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class StationGroupPublic(OutputModel):
    id: int
    name: str
    area_id: int
    created_at: datetime
    station_ids: list[int]


class StationGroupsPublic(OutputModel):
    data: list[StationGroupPublic]
    count: int
