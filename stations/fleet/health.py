"""Heartbeats in, station status out. A station is offline once it has missed three
heartbeats: the status is worked out when read, from the last one, so it is never stale.

Heartbeats are kept in memory and written once a second, each station's latest only, in one
batch: a fleet's heartbeats would otherwise be a write transaction each (SQLite's single
writer). What a crash can lose is at most a second of "last seen".

A manifest the agent fetched is its manifest version from then on, written in the same
batch: operators see what the agent has within a second of the fetch, not at its next
heartbeat a minute later. A version only grows (a heartbeat sent before the fetch and
read after it does not take it back).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, update
from sqlmodel import Session, col, select

from core.db import Database, chunks
from stations.fleet.models import StationAgent
from stations.fleet.presence import record_beats
from stations.models import Station, StationPublic, StationStatus
from stations.protocol import Heartbeat

log = logging.getLogger(__name__)


class HeartbeatBuffer:
    def __init__(self, database: Database, *, offline_after: timedelta) -> None:
        self._database = database
        self._offline_after = offline_after
        self._pending: dict[int, dict[str, Any]] = {}
        self._fetched: dict[int, int] = {}  # station → the manifest version it fetched
        self._lock = threading.Lock()

    def add(self, *, station_id: int, beat: Heartbeat, now: datetime) -> None:
        row = _row(station_id, beat, now)
        with self._lock:
            self._pending[station_id] = row

    def fetched(self, *, station_id: int, version: int) -> None:
        """The station's agent was just sent this manifest version."""
        with self._lock:
            self._fetched[station_id] = max(version, self._fetched.get(station_id, version))

    def flush(self) -> int:
        """Write the heartbeats and fetches received since the last flush; returns how many
        heartbeats."""
        with self._lock:
            pending, self._pending = self._pending, {}
            fetched, self._fetched = self._fetched, {}
        try:
            self._write(pending, fetched)
        except Exception:
            with self._lock:  # keep them for the next flush, unless newer ones came
                self._pending = {**pending, **self._pending}
                self._fetched = {**fetched, **self._fetched}
            raise
        return len(pending)

    def _write(self, pending: dict[int, dict[str, Any]], fetched: dict[int, int]) -> None:
        if not pending and not fetched:
            return
        with self._database.session(write=True) as session:
            if fetched:
                rows = [{"b_station_id": s, "b_version": v} for s, v in fetched.items()]
                session.execute(_FETCHED, rows)
            if pending:
                enrolled: set[int] = set()
                for batch in chunks(sorted(pending)):
                    query = select(StationAgent.station_id)
                    enrolled.update(
                        session.exec(query.where(col(StationAgent.station_id).in_(batch))).all()
                    )
                session.execute(
                    _BEATS, [{f"b_{k}": v for k, v in r.items()} for r in pending.values()]
                )
                record_beats(
                    session=session,
                    # A station revoked or deleted meanwhile has no agent row: no spell.
                    beats={s: r["last_seen_at"] for s, r in pending.items() if s in enrolled},
                    offline_after=self._offline_after,
                )
            session.commit()


_COLUMNS = (
    "last_seen_at",
    "manifest_version",
    "now_playing",
    "clock_offset_ms",
    "disk_free_bytes",
    "cpu_temp_c",
    "volume",
    "agent_version",
    "uptime_s",
    "last_error",
    "asrun_pending",
    "asrun_pending_since",
)


_TABLE = StationAgent.__table__  # type: ignore[attr-defined]
_VERSION = _TABLE.c.manifest_version


def _not_older(version: Any) -> Any:
    """The agent's manifest version, never set back below one it was sent since."""
    return case((_VERSION.is_(None) | (version > _VERSION), version), else_=_VERSION)


_BEATS = (
    update(_TABLE)
    .where(_TABLE.c.station_id == bindparam("b_station_id"))
    .values(
        {
            name: _not_older(bindparam(f"b_{name}"))
            if name == "manifest_version"
            else bindparam(f"b_{name}")
            for name in _COLUMNS
        }
    )
)
_FETCHED = (
    update(_TABLE)
    .where(_TABLE.c.station_id == bindparam("b_station_id"))
    .values(manifest_version=_not_older(bindparam("b_version")))
)


def _row(station_id: int, beat: Heartbeat, now: datetime) -> dict[str, Any]:
    now_playing = beat.now_playing.model_dump(mode="json") if beat.now_playing else None
    return {
        "station_id": station_id,
        "last_seen_at": now,
        "manifest_version": beat.manifest_version,
        "now_playing": json.dumps(now_playing) if now_playing else None,
        "clock_offset_ms": beat.clock_offset_ms,
        "disk_free_bytes": beat.disk_free_bytes,
        "cpu_temp_c": beat.cpu_temp_c,
        "volume": beat.volume,
        "agent_version": beat.agent_version,
        "uptime_s": beat.uptime_s,
        "last_error": beat.last_error,
        "asrun_pending": beat.asrun_pending,
        "asrun_pending_since": beat.asrun_pending_since,
    }


def status_of(
    *, agent: StationAgent | None, now: datetime, offline_after: timedelta
) -> StationStatus:
    if agent is None:
        return StationStatus.not_enrolled
    if agent.token_hash is None:
        return StationStatus.revoked
    if agent.last_seen_at is not None and now - agent.last_seen_at <= offline_after:
        return StationStatus.online
    return StationStatus.offline


def stations_public(
    *, session: Session, stations: Sequence[Station], now: datetime, offline_after: timedelta
) -> list[StationPublic]:
    ids = [s.id for s in stations]
    agents = {
        a.station_id: a
        for a in session.exec(select(StationAgent).where(col(StationAgent.station_id).in_(ids)))
    }
    return [_public(s, agents.get(s.id or 0), now, offline_after) for s in stations]


def _public(
    station: Station, agent: StationAgent | None, now: datetime, offline_after: timedelta
) -> StationPublic:
    public = StationPublic.model_validate(station)
    public.status = status_of(agent=agent, now=now, offline_after=offline_after)
    if agent is None:
        return public
    public.enrolled_at = agent.enrolled_at
    public.last_seen_at = agent.last_seen_at
    public.manifest_version = agent.manifest_version
    public.now_playing = json.loads(agent.now_playing) if agent.now_playing else None
    public.clock_offset_ms = agent.clock_offset_ms
    public.agent_version = agent.agent_version
    public.disk_free_bytes = agent.disk_free_bytes
    public.cpu_temp_c = agent.cpu_temp_c
    public.volume = agent.volume
    public.last_error = agent.last_error
    return public
