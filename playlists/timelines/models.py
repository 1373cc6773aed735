"""Built timelines as stored: shared bodies by digest, and each station's horizon.

Stations of one commune usually share every day's timeline, so a body is stored once under
its digest and each station keeps only the digests of its days. A station's version moves
only when one of those digests does: it is the manifest version (ETag) agents will see.

A body reads back as a StoredTimeline (typed, frozen): the one reading of the format
playlists/builder/serialize.py writes.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

from core.models import OutputModel
from core.sqltypes import UTCDateTime


class _Stored(BaseModel):
    # Fields a later timeline format adds are ignored by this one's reader.
    model_config = ConfigDict(frozen=True, extra="ignore")


class StoredItem(_Stored):
    """One item of a built day (serialize.item_json)."""

    start: AwareDatetime
    duration_s: float
    timing: Literal["hard", "soft", "relay"]
    tier: Literal["emergency", "priority", "normal"]
    volume: int
    content_id: int
    queue_id: int
    session_id: int | None
    title: str
    sha256: str | None
    stream_url: str | None

    @property
    def id(self) -> str:
        return item_id(self.queue_id, self.start)


def item_id(queue_id: int, start: datetime) -> str:
    """An item's id in the preview, the manifest and the as-run log: its queue entry and
    its start in UTC. Stable across rebuilds: the same entry at the same time is the same
    item, so an as-run record matches its planned item by this id alone."""
    return f"{queue_id}@{start.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


class StoredWindow(_Stored):
    """A session's window on that day, with its volume (serialize.window_json)."""

    session_id: int
    name: str
    start: AwareDatetime
    end: AwareDatetime
    volume: int
    after_cut: str = "resume"


class StoredWarning(_Stored):
    """What did not fit, and why (serialize.warning_json)."""

    code: str
    queue_id: int | None
    content_id: int | None
    session_id: int | None
    message: str


class StoredTimeline(_Stored):
    """One local day's built timeline, as stored (serialize.timeline_bytes)."""

    day: date
    timezone: str
    sessions: tuple[StoredWindow, ...]
    items: tuple[StoredItem, ...]
    warnings: tuple[StoredWarning, ...]


def read_days(days_json: str) -> dict[str, str]:
    """A station's horizon as stored: ISO date -> the digest of that day's timeline."""
    loaded: dict[str, str] = json.loads(days_json)
    return loaded


class TimelineBody(SQLModel, table=True):
    """One day's timeline as canonical JSON, zlib-compressed, addressed by its sha256."""

    __tablename__ = "timeline_body"

    digest: str = Field(primary_key=True, max_length=64)
    day: date = Field(index=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)

    def timeline(self) -> StoredTimeline:
        return StoredTimeline.model_validate_json(zlib.decompress(self.body))

    def document(self) -> dict[str, object]:
        """The body as plain JSON, for the preview (playlists/timelines/preview.py), which
        does not read timeline() yet."""
        loaded: dict[str, object] = json.loads(zlib.decompress(self.body))
        return loaded


class StationBuild(SQLModel, table=True):
    """A station's built horizon: which timeline plays on each local day."""

    __tablename__ = "station_build"

    station_id: int = Field(
        sa_column=Column(Integer, ForeignKey("station.id", ondelete="CASCADE"), primary_key=True)
    )
    version: int = 1
    # {"2026-11-29": digest, ...} for the horizon, sorted by day.
    days_json: str = Field(sa_column=Column(Text, nullable=False))
    # sha256 of days_json: a build that gives the same one keeps the version.
    digest: str = Field(max_length=64)
    timezone: str = Field(max_length=64)
    built_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def days(self) -> dict[str, str]:
        return read_days(self.days_json)


class BuildState(SQLModel, table=True):
    """One row: how far the keeper has followed the change feed (the audit chain)."""

    __tablename__ = "build_state"

    id: int = Field(default=1, primary_key=True)
    audit_cursor: int = 0
    full_built_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the last full build was for: the local date (default time zone), the horizon,
    # the time zone and the timeline format. When any of them differs, build everything.
    full_build_key: str | None = Field(default=None, max_length=200)


class PlaylistItemPublic(OutputModel):
    id: str = PydanticField(
        description="queue entry @ start in UTC (e.g. 12@20261201T000000Z): the item_id of "
        "its as-run records and of the agent's manifest"
    )
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    duration_s: float
    timing: str
    tier: str
    volume: int
    content_id: int
    queue_id: int
    session_id: int | None
    title: str
    sha256: str | None
    stream_url: str | None


class PlaylistSessionPublic(OutputModel):
    session_id: int
    name: str
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    volume: int


class PlaylistWarningPublic(OutputModel):
    code: str
    message: str
    queue_id: int | None
    content_id: int | None
    session_id: int | None


class PlaylistPublic(OutputModel):
    date: date
    timezone: str
    digest: str
    station_ids: list[int]
    sessions: list[PlaylistSessionPublic]
    items: list[PlaylistItemPublic]
    warnings: list[PlaylistWarningPublic]


class StationPlaylistPublic(PlaylistPublic):
    station_id: int
    version: int | None  # None: not built yet (outside the horizon), computed for preview
    built_at: datetime | None
    # Today and past days: every version of the day that was in force, oldest first; the
    # items are those of the version in force at each item's start.
    plan: list[PlanVersionPublic] = PydanticField(default_factory=list)


class PlanVersionPublic(OutputModel):
    version: int
    digest: str
    in_force_from: datetime
    in_force_until: datetime | None  # None: still in force (or until the day ended)


class AreaPlaylistsPublic(OutputModel):
    area_id: int
    date: date
    # One entry per distinct timeline: stations with the same rules share it.
    data: list[PlaylistPublic]
    count: int
    # Computed for preview (not built that far), or a past day with no plan of record.
    stations_without_build: list[int]
