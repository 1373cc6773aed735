"""A station's agent as the server knows it: enrolment codes, the credential, the last
heartbeat, and the as-run log (nhật ký phát sóng) the agents report."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from core.models import OutputModel
from core.sqltypes import UTCDateTime


class StationEnrollment(SQLModel, table=True):
    """A one-time code an admin hands to whoever installs the station's Raspberry Pi."""

    __tablename__ = "station_enrollment"

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    code_hash: str = Field(max_length=64, unique=True)
    created_by: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StationAgent(SQLModel, table=True):
    """The enrolled agent of a station: its credential (a hash) and its last heartbeat."""

    __tablename__ = "station_agent"

    station_id: int = Field(
        sa_column=Column(Integer, ForeignKey("station.id", ondelete="CASCADE"), primary_key=True)
    )
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    hardware_id: str = Field(max_length=200)
    agent_version: str = Field(max_length=40)
    enrolled_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    manifest_version: int | None = None
    now_playing: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    clock_offset_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    disk_free_bytes: int | None = Field(default=None, sa_column=Column(BigInteger))
    cpu_temp_c: float | None = None
    volume: int | None = None
    uptime_s: float | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # From the last heartbeat: as-run records still on the station, and since when.
    asrun_pending: int | None = None
    asrun_pending_since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StationChange(SQLModel, table=True):
    """A change to what a station's token answers (a new build, a new or revoked token, the
    station edited or removed), written by database triggers (migration 0016) whatever the
    writer: every server process reads them in order to keep its poll directory current
    (stations/fleet/directory.py). No foreign key: a removed station's change stays."""

    __tablename__ = "station_change"

    seq: int | None = Field(default=None, primary_key=True)
    station_id: int


class AsRun(SQLModel, table=True):
    """One as-run record, stored once by the id the agent gave it. The station's area is
    kept as it was when the record arrived, so the log outlives the station's deletion."""

    __tablename__ = "asrun"
    __table_args__ = (
        Index("ix_asrun_station_time", "station_id", "occurred_at"),
        Index("ix_asrun_area_time", "area_id", "occurred_at"),
        Index("ix_asrun_station_day", "station_id", "day"),
        Index("ix_asrun_station_item", "station_id", "item_id"),
        Index("ix_asrun_received", "received_at"),
        Index("ix_asrun_lineage_day", "snapshot_lineage_id", "day"),  # proof of play
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))
    station_id: int
    area_id: int = Field(
        sa_column=Column(Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False)
    )
    item_id: str | None = Field(default=None, max_length=100)
    content_id: int | None = Field(default=None, index=True)
    sha256: str | None = Field(default=None, max_length=64)
    planned_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # started_at, else planned_start: what "newest first" and time filters use.
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    result: str = Field(max_length=12)
    error: str | None = Field(default=None, sa_column=Column(Text))
    clock_offset_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    received_at: datetime = Field(sa_type=UTCDateTime)
    # The station's local day of occurred_at, in its area's time zone when it arrived.
    day: date | None = None
    # What the item was when it aired (stations/fleet/snapshot.py): "content", "alert" or
    # "unknown" (content since deleted, or never known).
    snapshot_kind: str | None = Field(default=None, max_length=12)
    snapshot_title: str | None = Field(default=None, max_length=300)
    snapshot_category: str | None = Field(default=None, max_length=200)
    snapshot_tier: str | None = Field(default=None, max_length=12)
    snapshot_language: str | None = Field(default=None, max_length=35)
    snapshot_lineage_id: int | None = None
    snapshot_version: int | None = None
    snapshot_alert: str | None = Field(default=None, max_length=200)  # CAP identifier
    snapshot_created_by: int | None = None
    snapshot_created_by_name: str | None = Field(default=None, max_length=200)
    snapshot_approved_by: int | None = None
    snapshot_approved_by_name: str | None = Field(default=None, max_length=200)
    owner_area_id: int | None = None
    owner_area_code: str | None = Field(default=None, max_length=40)
    owner_area_name: str | None = Field(default=None, max_length=200)
    owner_area_level: str | None = Field(default=None, max_length=40)
    owner_area_path: str | None = Field(default=None, max_length=400)
    # The station's area as it was: roll-ups follow this path, not today's tree.
    station_area_code: str | None = Field(default=None, max_length=40)
    station_area_name: str | None = Field(default=None, max_length=200)
    station_area_level: str | None = Field(default=None, max_length=40)
    station_area_path: str | None = Field(default=None, max_length=400)


class EnrollmentCodePublic(OutputModel):
    station_id: int
    code: str
    expires_at: datetime


class AsRunPublic(OutputModel):
    id: str
    station_id: int
    area_id: int
    item_id: str | None
    content_id: int | None
    sha256: str | None
    planned_start: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    result: str
    error: str | None
    clock_offset_ms: int
    received_at: datetime
    snapshot_kind: str | None
    snapshot_title: str | None
    snapshot_category: str | None
    snapshot_tier: str | None
    snapshot_language: str | None
    snapshot_lineage_id: int | None
    snapshot_version: int | None
    snapshot_alert: str | None
    snapshot_created_by: int | None
    snapshot_created_by_name: str | None
    snapshot_approved_by: int | None
    snapshot_approved_by_name: str | None
    owner_area_id: int | None
    owner_area_code: str | None
    owner_area_name: str | None
    owner_area_level: str | None
    owner_area_path: str | None
    station_area_code: str | None
    station_area_name: str | None
    station_area_level: str | None
    station_area_path: str | None


class AsRunsPublic(OutputModel):
    data: list[AsRunPublic]
    count: int
