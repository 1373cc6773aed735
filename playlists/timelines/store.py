"""Saving builds: a body once per digest, and a new version only for a station whose
horizon changed."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, col, select

from core.db import chunks
from playlists.timelines.models import StationBuild, TimelineBody, read_days
from playlists.timelines.record import NewDays, record_plans, referenced_digests
from stations.models import Station


@dataclass(frozen=True, slots=True)
class Horizon:
    """One station's build: its time zone and the digest of each local day's timeline."""

    timezone: str
    days: Mapping[str, str]  # ISO date -> digest

    def as_json(self) -> str:
        return json.dumps(dict(sorted(self.days.items())), separators=(",", ":"))

    def digest(self) -> str:
        return hashlib.sha256(f"{self.timezone}\n{self.as_json()}".encode()).hexdigest()


def save_bodies(
    *, session: Session, bodies: Mapping[str, tuple[date, bytes]], now: datetime
) -> int:
    """Store the bodies not stored yet; returns how many were new."""
    known: set[str] = set()
    for batch in chunks(sorted(bodies)):
        query = select(TimelineBody.digest).where(col(TimelineBody.digest).in_(batch))
        known.update(session.exec(query).all())
    rows = [
        {"digest": digest, "day": day, "body": zlib.compress(data, 6), "created_at": now}
        for digest, (day, data) in sorted(bodies.items())
        if digest not in known
    ]
    for rows_batch in chunks(rows, 1000):
        session.execute(insert(TimelineBody), rows_batch)
    return len(rows)


def save_horizons(*, session: Session, horizons: Mapping[int, Horizon], now: datetime) -> list[int]:
    """Store each station's horizon; returns the stations that got a new version."""
    current: dict[int, tuple[int, str]] = {}
    for batch in chunks(sorted(horizons)):
        query = select(StationBuild.station_id, StationBuild.version, StationBuild.digest)
        for station_id, version, digest in session.exec(
            query.where(col(StationBuild.station_id).in_(batch))
        ).all():
            current[station_id] = (version, digest)
    inserts: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    changed: list[int] = []
    versions: dict[int, int] = {}
    for station_id, horizon in sorted(horizons.items()):
        digest = horizon.digest()
        row = {
            "days_json": horizon.as_json(),
            "digest": digest,
            "timezone": horizon.timezone,
            "built_at": now,
        }
        if station_id in current and current[station_id][1] == digest:
            continue
        changed.append(station_id)
        versions[station_id] = current[station_id][0] + 1 if station_id in current else 1
        if station_id not in current:
            inserts.append({"station_id": station_id, "version": versions[station_id], **row})
        else:
            updates.append({"sid": station_id, "version": versions[station_id], **row})
    for insert_batch in chunks(inserts, 1000):
        session.execute(insert(StationBuild), insert_batch)
    statement = (
        update(StationBuild)
        .where(col(StationBuild.station_id) == bindparam("sid"))
        .execution_options(synchronize_session=False)
    )
    for update_batch in chunks(updates, 1000):
        session.connection().execute(statement, update_batch)
    areas: dict[int, int] = {}
    for batch in chunks(changed):
        found = select(Station.id, Station.area_id).where(col(Station.id).in_(batch))
        areas.update((sid, area) for sid, area in session.exec(found).all() if sid is not None)
    builds = {
        sid: NewDays(version=versions[sid], area_id=areas[sid], days=horizons[sid].days)
        for sid in changed
        if sid in areas  # a station deleted while this build ran has no plan to record
    }
    record_plans(session=session, builds=builds, now=now)
    return changed


def prune_bodies(*, session: Session) -> int:
    """Delete bodies no station's horizon nor the plan of record refers to; returns how
    many."""
    referenced = referenced_digests(session=session)
    for (days_json,) in session.execute(select(StationBuild.days_json)).all():
        referenced.update(read_days(days_json).values())
    stored = set(session.exec(select(TimelineBody.digest)).all())
    unused = sorted(stored - referenced)
    for batch in chunks(unused):
        session.execute(delete(TimelineBody).where(col(TimelineBody.digest).in_(batch)))
    return len(unused)
