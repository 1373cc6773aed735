"""A station's manifest (agent protocol v1) from its built horizon.

Everything in a manifest but its two timestamps follows from the station's build version,
so the version can be its ETag: the same version always lists the same items and files.

Each day's part (its items and volume windows as the protocol's models) is made once, when
its stored timeline is read, and kept: a manifest is those parts put together and checked
as a whole (Manifest's own validator), nothing validated a second time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.db import Database, chunks
from playlists.content.models import ContentItem
from playlists.content.storage import ContentStorage
from playlists.timelines.models import StationBuild, StoredItem, StoredTimeline, TimelineBody
from stations.fleet.auth import StationIdentity
from stations.fleet.enrolment import token_digest
from stations.fleet.models import StationAgent
from stations.fleet.sources import BuildRef, Caller
from stations.models import Station
from stations.protocol import (
    FILES_PATH,
    Manifest,
    ManifestFile,
    ManifestItem,
    ReplayWindow,
    VolumeWindow,
)

# Days' parts kept in memory: stations of a commune share them.
DOCUMENT_CACHE = 512


@dataclass(frozen=True, slots=True)
class DayPart:
    """One stored day as it goes into manifests: made once per timeline body."""

    items: tuple[ManifestItem, ...]
    windows: tuple[VolumeWindow, ...]
    replays: tuple[ReplayWindow, ...]
    files: frozenset[str]  # the sha256 its items name

    @classmethod
    def of(cls, timeline: StoredTimeline) -> DayPart:
        items = tuple(_item(i) for i in timeline.items)
        return cls(
            items=items,
            windows=tuple(
                VolumeWindow(from_=w.start, to=w.end, volume=w.volume) for w in timeline.sessions
            ),
            replays=tuple(
                ReplayWindow(session_id=w.session_id, from_=w.start, to=w.end)
                for w in timeline.sessions
                if w.after_cut == "replay"
            ),
            files=frozenset(i.sha256 for i in items if i.sha256 is not None),
        )


class TimelineManifests:
    """The server's source of manifests and of the files they name."""

    def __init__(self, storage: ContentStorage) -> None:
        self._storage = storage
        self._documents: OrderedDict[str, DayPart] = OrderedDict()
        # By build digest: the same build names the same files, whichever station has it.
        self._files: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()  # routes run in a thread pool

    def identify(self, *, database: Database, token: str) -> Caller | None:
        # The path of every poll and heartbeat: one prepared query on a plain connection
        # (an ORM session costs four times the query here).
        row = database.read_one(_IDENTIFY, {"token_hash": token_digest(token)})
        if row is None:
            return None
        station_id, area_id, version, digest, plays_test_alerts = tuple(row)
        build = BuildRef(version=version, build_id=digest) if version is not None else None
        identity = StationIdentity(station_id=station_id, area_id=area_id)
        return Caller(identity, build, bool(plays_test_alerts))

    def current(self, *, session: Session, station_id: int) -> BuildRef | None:
        query = select(StationBuild.version, StationBuild.digest).where(
            StationBuild.station_id == station_id
        )
        row = session.exec(query).first()
        return BuildRef(version=row[0], build_id=row[1]) if row else None

    def manifest(self, *, session: Session, station_id: int, now: datetime) -> Manifest | None:
        """The station's manifest, or None while it has no build yet."""
        build = session.get(StationBuild, station_id)
        if build is None:
            return None
        by_day = build.days
        parts = self._load(session, by_day.values())
        if len(parts) < len(set(by_day.values())):
            return None  # pruned by a newer build since this one was read: ask again
        days = [parts[by_day[day]] for day in sorted(by_day)]
        shas = sorted(frozenset().union(*(part.files for part in days)))
        # The parts are validated models already: Manifest keeps them as they are and
        # checks only what spans them (order, ids, files listed).
        return Manifest(
            station_id=station_id,
            version=build.version,
            build_id=build.digest,
            generated_at=build.built_at,
            server_time=now,
            timezone=build.timezone,
            horizon_until=_day_end(date.fromisoformat(max(by_day)), build.timezone),
            volume_plan=[window for part in days for window in part.windows],
            items=[item for part in days for item in part.items],
            replay_windows=[window for part in days for window in part.replays],
            alerts=[],
            files=[
                ManifestFile(sha256=sha, size=size, url=f"{FILES_PATH}/{sha}")
                for sha, size in self._sizes(session, shas).items()
            ],
        )

    def station_files(
        self, *, session: Session, station_id: int, build: BuildRef
    ) -> frozenset[str]:
        """The sha256 of every file that build of the station's manifest names."""
        key = build.build_id
        with self._lock:
            cached = self._files.get(key)
        if cached is not None:
            return cached
        stored = session.get(StationBuild, station_id)
        if stored is None or stored.digest != build.build_id:
            return frozenset()
        parts = self._load(session, stored.days.values())
        shas = frozenset().union(*(part.files for part in parts.values()))
        with self._lock:
            _remember(self._files, key, shas, DOCUMENT_CACHE)
        return shas

    def file_path(self, sha256: str) -> Path | None:
        path = self._storage.path(sha256)
        return path if path.exists() else None

    def _load(self, session: Session, digests: Iterable[str]) -> dict[str, DayPart]:
        wanted = set(digests)
        with self._lock:
            found = {d: self._documents[d] for d in wanted if d in self._documents}
        for batch in chunks(sorted(wanted - found.keys())):
            query = select(TimelineBody).where(col(TimelineBody.digest).in_(batch))
            for body in session.exec(query).all():
                found[body.digest] = DayPart.of(body.timeline())
                with self._lock:
                    _remember(self._documents, body.digest, found[body.digest], DOCUMENT_CACHE)
        return found

    def _sizes(self, session: Session, shas: list[str]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for batch in chunks(shas):
            query = select(ContentItem.sha256, ContentItem.size_bytes).where(
                col(ContentItem.sha256).in_(batch), col(ContentItem.size_bytes).is_not(None)
            )
            for sha, size in session.exec(query).all():
                if sha is not None and size is not None:
                    sizes[sha] = size
        for sha in shas:
            if sha not in sizes:
                path = self._storage.path(sha)
                sizes[sha] = path.stat().st_size if path.exists() else 0
        return dict(sorted(sizes.items()))


# SQLAlchemy's select: sqlmodel's types stop at four columns.
_IDENTIFY = (
    sa_select(
        col(StationAgent.station_id),
        col(Station.area_id),
        col(StationBuild.version),
        col(StationBuild.digest),
        col(Station.plays_test_alerts),
    )
    .join(Station, col(Station.id) == StationAgent.station_id)
    .outerjoin(StationBuild, col(StationBuild.station_id) == StationAgent.station_id)
    .where(col(StationAgent.token_hash) == bindparam("token_hash"))
)


def _item(item: StoredItem) -> ManifestItem:
    relay = item.timing == "relay"
    return ManifestItem(
        id=item.id,
        kind="relay" if relay else "file",
        content_id=item.content_id,
        sha256=item.sha256,
        url=(item.stream_url or "") if relay else f"{FILES_PATH}/{item.sha256}",
        start=item.start,
        duration_s=item.duration_s,
        timing="hard" if item.timing == "relay" else item.timing,
        tier=item.tier,
        volume=item.volume,
        title=item.title,
        session_id=item.session_id,
    )


def _day_end(day: date, timezone: str) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)
