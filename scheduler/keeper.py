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
from datetime import date

from sqlmodel import Session, col, select

from audit.models import AuditEvent, AuditHead
from core.clock import Clock
from core.db import Database
from playlists.timelines.inputs import load_plan
from playlists.timelines.models import BuildState
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
        """Bring the builds up to date; None when nothing had changed."""
        with self._lock:
            now = self._clock.now()
            today = local_today(now, self._timezone)
            with self._database.session() as read:
                state = read.get(BuildState, 1) or BuildState()
                if state.full_built_on != today:
                    return self._build(read, None, today, _head(read))
                head = min(_head(read), state.audit_cursor + EVENT_BATCH)
                if head <= state.audit_cursor:
                    return None
                events = read.exec(
                    select(AuditEvent)
                    .where(col(AuditEvent.id) > state.audit_cursor, col(AuditEvent.id) <= head)
                    .order_by(col(AuditEvent.id))
                ).all()
                stations = stations_in(session=read, scope=scope_of(events))
                return self._build(read, stations, None, head)

    def rebuild_all(self, progress: Progress | None = None) -> TickReport:
        """A full rebuild now, whatever the cursor says (the CLI's `playlists rebuild`)."""
        with self._lock:
            today = local_today(self._clock.now(), self._timezone)
            with self._database.session() as read:
                return self._build(read, None, today, _head(read), progress)

    def _build(
        self,
        read: Session,
        stations: Collection[int] | None,
        full_day: date | None,
        head: int,
        progress: Progress | None = None,
    ) -> TickReport:
        now = self._clock.now()
        plan = load_plan(session=read, station_ids=stations)
        horizons, bodies, _ = build_horizons(
            plan, now=now, horizon_days=self._horizon_days, progress=progress
        )
        read.rollback()  # end the read snapshot before taking the write lock
        with self._database.session(write=True) as write:
            save_bodies(session=write, bodies=bodies, now=now)
            changed = save_horizons(session=write, horizons=horizons, now=now)
            state = write.get(BuildState, 1) or BuildState(id=1)
            state.audit_cursor = max(state.audit_cursor, head)
            if full_day is not None:
                state.full_built_on = full_day
                state.full_built_at = now
                prune_bodies(session=write)
            write.add(state)
            write.commit()
        report = TickReport(
            full=full_day is not None,
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
