"""Heartbeats in, station status out. A station is offline once it has missed three
heartbeats: the status is worked out when read, from the last one, so it is never stale."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from stations.fleet.models import StationAgent
from stations.models import Station, StationPublic, StationStatus
from stations.protocol import Heartbeat


def record_heartbeat(*, session: Session, station_id: int, beat: Heartbeat, now: datetime) -> None:
    now_playing = beat.now_playing.model_dump(mode="json") if beat.now_playing else None
    session.execute(
        update(StationAgent)
        .where(col(StationAgent.station_id) == station_id)
        .values(
            last_seen_at=now,
            manifest_version=beat.manifest_version,
            now_playing=json.dumps(now_playing) if now_playing else None,
            clock_offset_ms=beat.clock_offset_ms,
            disk_free_bytes=beat.disk_free_bytes,
            cpu_temp_c=beat.cpu_temp_c,
            volume=beat.volume,
            agent_version=beat.agent_version,
            uptime_s=beat.uptime_s,
            last_error=beat.last_error,
        )
    )


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
