"""Playlist build benchmark through the database: the keeper on a generated nation.

The nation of benchmarks/build.py written into a real database (SQLite by default, or the
empty PostgreSQL database given): 3,321 communes and wards, 30 stations each, two sessions
a commune, 40 queued items a commune, 5 province items and the national relay. Measured in
one run: the full one-day build, the full 7-day build, the incremental rebuild after one
commune's session is edited (through the audit chain, as the server does), and the same
one-day build done naively, station by station — each including reading the inputs and
writing the versions.

    .venv/bin/python -m benchmarks.build_db                          # full size, SQLite
    .venv/bin/python -m benchmarks.build_db --communes 50
    .venv/bin/python -m benchmarks.build_db --database-url postgresql+psycopg://…/empty_db
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import statistics
import tempfile
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import vietnam_provinces as vn
from sqlalchemy import delete, insert
from sqlmodel import Session, select

from benchmarks.build import ITEMS_PER_COMMUNE, PROVINCE_ITEMS, STATIONS_PER_COMMUNE, _peak_mb
from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.models import User
from core.db import Database
from migrations.upgrade import upgrade
from playlists.builder.day import build_day
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.builder.serialize import timeline_bytes
from playlists.content.models import ContentItem
from playlists.sessions.crud import update_session
from playlists.sessions.models import BroadcastSession, QueueEntry, SessionTarget, SessionUpdate
from playlists.timelines.inputs import load_plan
from playlists.timelines.models import BuildState, StationBuild, TimelineBody
from playlists.timelines.rebuild import local_today
from playlists.timelines.store import Horizon, save_bodies, save_horizons
from scheduler.keeper import PlaylistKeeper
from stations.models import Station

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
DAILY = Recurrence(repeat=Repeat.daily).model_dump_json()
BATCH = 5000
Row = dict[str, Any]


class _Clock:
    def now(self) -> datetime:
        return NOW


def _insert(session: Session, model: type, rows: list[Row]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def generate(database: Database, communes: int | None, seed: int = 7) -> int:
    """Write the nation; returns the id of one commune's morning session (to edit)."""
    rng = random.Random(seed)
    wards = sorted(vn.Ward.iter_all(), key=lambda w: int(w.code))[:communes]
    areas: list[Row] = [_area(1, None, "Việt Nam", "country", None)]
    provinces: dict[int, int] = {}
    next_id = iter(range(2, 10**9))
    commune_ids: list[tuple[int, bool]] = []
    for ward in wards:
        code = int(ward.province_code)
        if code not in provinces:
            provinces[code] = next(next_id)
            areas.append(_area(provinces[code], 1, f"Tỉnh {code}", "province", None))
        area_id = next(next_id)
        urban = ward.division_type.value == "phường"
        areas.append(
            _area(area_id, provinces[code], ward.name, "commune", ward.division_type.value)
        )
        commune_ids.append((area_id, urban))
    _paths(areas)
    with database.session(write=True) as session:
        _insert(session, Area, areas)
        user = User(username="bench", area_id=1, password_hash="-", created_at=NOW)
        session.add(user)
        session.flush()
        assert user.id is not None
        edited = _communes(session, rng, user.id, provinces, commune_ids, areas)
        session.commit()
    return edited


def _paths(areas: list[Row]) -> None:
    parents = {a["id"]: a["parent_id"] for a in areas}
    for area in areas:
        chain, current = [], area["id"]
        while current is not None:
            chain.append(current)
            current = parents[current]
        area["path"] = "/" + "/".join(str(i) for i in reversed(chain)) + "/"


def _area(id_: int, parent: int | None, name: str, level: str, kind: str | None) -> Row:
    return {
        "id": id_,
        "parent_id": parent,
        "name": name,
        "level": level,
        "division_type": kind,
        "timezone": "Asia/Ho_Chi_Minh",
        "path": "",
        "created_at": NOW,
    }


def _content(id_: int, area: int, user: int, title: str, tier: str, seconds: float | None) -> Row:
    return {
        "id": id_,
        "lineage_id": id_,
        "version": 1,
        "kind": "relay" if seconds is None else "audio",
        "status": "approved",
        "title": title,
        "language": "vi",
        "tier": tier,
        "area_id": area,
        "duration_s": seconds,
        "sha256": None if seconds is None else f"{id_:064x}",
        "stream_url": "http://vov.example/vov1" if seconds is None else None,
        "created_by": user,
        "contributors": ",",
        "created_at": NOW,
        "updated_at": NOW,
    }


def _communes(
    session: Session,
    rng: random.Random,
    user: int,
    provinces: dict[int, int],
    commune_ids: list[tuple[int, bool]],
    areas: list[Row],
) -> int:
    ids = iter(range(1, 10**9))
    content = [_content(next(ids), 1, user, "Thời sự VOV1", "normal", None)]
    national = content[0]["id"]
    province_items = {
        p: [
            _content(next(ids), a, user, f"Tỉnh {p} #{i}", "priority", rng.randint(30, 120))
            for i in range(PROVINCE_ITEMS)
        ]
        for p, a in provinces.items()
    }
    for items in province_items.values():
        content.extend(items)
    area_province = {a["id"]: a["parent_id"] for a in areas if a["level"] == "commune"}
    province_of = {a: p for p, a in provinces.items()}
    stations: list[Row] = []
    sessions: list[Row] = []
    targets: list[Row] = []
    queue: list[Row] = []
    session_ids, queue_ids = iter(range(1, 10**9)), iter(range(1, 10**9))
    for area_id, urban in commune_ids:
        stations.extend(
            {"name": f"Cụm loa {area_id}-{n}", "area_id": area_id, "created_at": NOW}
            for n in range(STATIONS_PER_COMMUNE)
        )
        own = [
            _content(
                next(ids), area_id, user, f"Tin {area_id} #{i}", "normal", rng.randint(30, 300)
            )
            for i in range(ITEMS_PER_COMMUNE)
        ]
        content.extend(own)
        minutes = 15 if urban else 45
        pair = []
        for name, start in (("Sáng", time(5, 30)), ("Chiều", time(17, 0))):
            sid = next(session_ids)
            pair.append(sid)
            sessions.append(
                {
                    "id": sid,
                    "name": name,
                    "area_id": area_id,
                    "start": start,
                    "max_length_s": minutes * 60,
                    "recurrence_json": DAILY,
                    "volume": 80,
                    "enabled": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            targets.append({"session_id": sid, "area_id": area_id})
        items = [*province_items[province_of[area_province[area_id]]], *own]
        for i, item in enumerate(items):
            queue.append(
                {
                    "id": next(queue_ids),
                    "lineage_id": item["id"],
                    "session_id": pair[i % 2],
                    "recurrence_json": DAILY,
                    "repeat": 1,
                    "order": i,
                    "created_by": user,
                    "created_at": NOW,
                }
            )
        queue.append(
            {
                "id": next(queue_ids),
                "lineage_id": national,
                "session_id": pair[0],
                "recurrence_json": DAILY,
                "at": time(6, 0),
                "relay_length_s": 15 * 60,
                "repeat": 1,
                "order": 0,
                "created_by": user,
                "created_at": NOW,
            }
        )
    for model, rows in (
        (ContentItem, content),
        (Station, stations),
        (BroadcastSession, sessions),
        (SessionTarget, targets),
        (QueueEntry, queue),
    ):
        _insert(session, model, rows)
    edited: int = sessions[len(sessions) // 2]["id"]
    return edited


def _clear(database: Database) -> None:
    with database.session(write=True) as session:
        for model in (StationBuild, TimelineBody, BuildState):
            session.execute(delete(model))
        session.commit()


def _keeper(database: Database, days: int) -> PlaylistKeeper:
    return PlaylistKeeper(
        database=database, clock=_Clock(), horizon_days=days, timezone="Asia/Ho_Chi_Minh"
    )


def full_build(database: Database, days: int) -> float:
    _clear(database)
    started = clock.perf_counter()
    report = _keeper(database, days).rebuild_all()
    assert report is not None and report.full and len(report.changed) == report.stations
    return clock.perf_counter() - started


def incremental(database: Database, days: int, session_id: int, repeats: int) -> float:
    """Edit one commune's session (an audited change), then time the keeper's next tick."""
    keeper = _keeper(database, days)
    keeper.tick()
    samples = []
    for minute in range(1, repeats + 1):
        with database.session(write=True) as session:
            found = session.get(BroadcastSession, session_id)
            assert found is not None
            update_session(
                session=session,
                found=found,
                session_in=SessionUpdate(start=time(5, 30 + minute % 20)),
                actor=Actor(id=None, name="benchmark"),
                now=NOW,
            )
            session.commit()
        started = clock.perf_counter()
        report = keeper.tick()
        samples.append(clock.perf_counter() - started)
        assert report is not None and len(report.changed) == STATIONS_PER_COMMUNE
    return statistics.median(samples)


def naive_one_day(database: Database) -> float:
    """Every station's day built on its own, then stored the same way."""
    _clear(database)
    started = clock.perf_counter()
    with database.session() as session:
        plan = load_plan(session=session)
    bodies: dict[str, tuple[date, bytes]] = {}
    horizons: dict[int, Horizon] = {}
    for rule, stations in plan.rules.items():
        day = local_today(NOW, rule.timezone)
        for station in stations:
            data = timeline_bytes(build_day(plan.inputs(rule), day))
            digest = hashlib.sha256(data).hexdigest()
            bodies.setdefault(digest, (day, data))
            horizons[station] = Horizon(rule.timezone, {day.isoformat(): digest})
    with database.session(write=True) as session:
        save_bodies(session=session, bodies=bodies, now=NOW)
        save_horizons(session=session, horizons=horizons, now=NOW)
        session.commit()
    return clock.perf_counter() - started


def _timed_runs(run: Callable[[], float], runs: int) -> float:
    return statistics.median(run() for _ in range(runs))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=None, help="default: all 3,321")
    parser.add_argument("--runs", type=int, default=1, help="runs of each full build (median)")
    parser.add_argument("--days", type=int, default=7, help="the horizon")
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database; default: a new SQLite file"
    )
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    database = Database(url)
    try:
        started = clock.perf_counter()
        session_id = generate(database, args.communes)
        results = {"generate_s": clock.perf_counter() - started}
        results["one_day_s"] = _timed_runs(lambda: full_build(database, 1), args.runs)
        results["one_day_naive_s"] = _timed_runs(lambda: naive_one_day(database), args.runs)
        results["horizon_s"] = _timed_runs(lambda: full_build(database, args.days), args.runs)
        results["incremental_s"] = incremental(database, args.days, session_id, repeats=5)
        results["peak_mb"] = _peak_mb()
        with database.session() as session:
            results["stations"] = float(len(session.exec(select(Station.id)).all()))
    finally:
        database.dispose()
    _report(url, args.days, args.runs, results)
    return results


def _report(url: str, days: int, runs: int, results: dict[str, float]) -> None:
    backend = url.split(":", 1)[0]
    ratio = results["one_day_naive_s"] / results["one_day_s"]
    lines = [
        f"database build benchmark ({backend}): {results['stations']:.0f} stations, "
        f"{days}-day horizon; full builds median of {runs} run(s), incremental median of 5",
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}",
        f"generating the nation            {results['generate_s']:8.2f} s",
        f"one day, all stations, shared    {results['one_day_s']:8.2f} s",
        f"one day, naive per station       {results['one_day_naive_s']:8.2f} s ({ratio:.1f}x)",
        f"{days} days, all stations, shared   {results['horizon_s']:8.2f} s",
        f"one commune's session edited     {results['incremental_s'] * 1000:8.1f} ms",
        f"peak memory (VmHWM)              {results['peak_mb']:8.1f} MB",
    ]
    print("\n".join(lines))  # noqa: T201


if __name__ == "__main__":
    main()
