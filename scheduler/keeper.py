"""Keeps every station's timeline built for the horizon.

Each tick (the scheduler runs one every second or so) either rebuilds everything — on the
first run, and on the first tick after local midnight, when the horizon moves on a day —
or rebuilds only the stations touched by the audit events since the last tick. Builds are
computed from a read snapshot and then written in one short write transaction together
with the new cursor, so a crash leaves either the whole tick or none of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.audit.models import AuditEvent, AuditHead
from core.clock import Clock
from core.db import Database, chunks
from playlists.builder.serialize import TIMELINE_FORMAT
from playlists.timelines.inputs import load_plan
from playlists.timelines.models import BuildState, StationBuild
from playlists.timelines.rebuild import Progress, build_horizons, local_today
from playlists.timelines.store import prune_bodies, save_bodies, save_horizons
from scheduler.changes import scope_of, stations_in

log = logging.getLogger(__name__)

# Events read per tick at most; a larger backlog is worked through over several ticks.
EVENT_BATCH = 5000


@dataclass(frozen=True, slots=True)
class TickReport:
    full: bool
    stations: int
    rules: int
    changed: tuple[int, ...]
    audit_cursor: int


class PlaylistKeeper:
    def __init__(
        self, *, database: Database, clock: Clock, horizon_days: int, timezone: str
    ) -> None:
        self._database = database
        self._clock = clock
        self._horizon_days = horizon_days
        self._timezone = timezone
        self._lock = threading.Lock()  # one tick at a time in this process

    def tick(self) -> TickReport | None:
        """Bring the builds up to date; None when nothing had changed (or another
        process wrote first: the next tick starts from what it wrote)."""
        with self._lock, self._database.session() as read:
            seen = read.get(BuildState, 1) or BuildState()
            key = self._full_key()
            if seen.full_build_key != key:
                return self._build(read, seen, None, key)
            head = min(_head(read), seen.audit_cursor + EVENT_BATCH)
            if head <= seen.audit_cursor:
                return None
            events = read.exec(
                select(AuditEvent)
                .where(col(AuditEvent.id) > seen.audit_cursor, col(AuditEvent.id) <= head)
                .order_by(col(AuditEvent.id))
            ).all()
            scope = scope_of(events)
            stations = None if scope is None else stations_in(session=read, scope=scope)
            return self._build(read, seen, stations, None, head=head)

    def rebuild_all(self, progress: Progress | None = None) -> TickReport | None:
        """A full rebuild now, whatever the cursor says (the CLI's `playlists rebuild`);
        None when another process wrote builds meanwhile."""
        with self._lock, self._database.session() as read:
            seen = read.get(BuildState, 1) or BuildState()
            return self._build(read, seen, None, self._full_key(), progress=progress)

    def versions(self, station_ids: Collection[int]) -> dict[int, tuple[int, str]]:
        """Each station's current build, as (version, digest), for the push to agents."""
        found: dict[int, tuple[int, str]] = {}
        with self._database.session() as session:
            for batch in chunks(sorted(station_ids)):
                query = select(
                    StationBuild.station_id, StationBuild.version, StationBuild.digest
                ).where(col(StationBuild.station_id).in_(batch))
                found.update({s: (v, d) for s, v, d in session.exec(query).all()})
        return found

    def _full_key(self) -> str:
        today = local_today(self._clock.now(), self._timezone)
        return f"{today}|{self._horizon_days}d|{self._timezone}|format {TIMELINE_FORMAT}"

    def _build(
        self,
        read: Session,
        seen: BuildState,
        stations: Collection[int] | None,
        full_key: str | None,
        *,
        head: int | None = None,
        progress: Progress | None = None,
    ) -> TickReport | None:
        now = self._clock.now()
        head = _head(read) if head is None else head
        before = (seen.audit_cursor, seen.full_built_at)
        plan = load_plan(session=read, station_ids=stations)
        horizons, bodies, _ = build_horizons(
            plan, now=now, horizon_days=self._horizon_days, progress=progress
        )
        read.rollback()  # end the read snapshot before taking the write lock
        with self._database.session(write=True) as write:
            # Builders in other processes (the CLI, a leader that lost its lock) are
            # serialised on this row; whoever finds it moved since it read throws its
            # work away rather than overwrite newer builds with older ones.
            state = write.get(BuildState, 1, with_for_update=True) or BuildState(id=1)
            if (state.audit_cursor, state.full_built_at) != before:
                log.info("playlists: another process built meanwhile; starting again")
                return None
            # In force from now, as the write commits: a long build's start is not when
            # agents could first have it (the plan of record's in_force_from).
            written = self._clock.now()
            save_bodies(session=write, bodies=bodies, now=written)
            changed = save_horizons(session=write, horizons=horizons, now=written)
            state.audit_cursor = max(state.audit_cursor, head)
            if full_key is not None:
                state.full_build_key = full_key
                state.full_built_at = now
                prune_bodies(session=write)
            write.add(state)
            write.commit()
        report = TickReport(
            full=full_key is not None,
            stations=len(horizons),
            rules=len(plan.rules),
            changed=tuple(changed),
            audit_cursor=head,
        )
        log.info(
            "playlists: %s build of %d station(s), %d rule set(s), %d new version(s)",
            "full" if report.full else "incremental",
            report.stations,
            report.rules,
            len(report.changed),
        )
        return report


def _head(session: Session) -> int:
    head = session.get(AuditHead, 1)
    return head.last_event_id if head else 0
