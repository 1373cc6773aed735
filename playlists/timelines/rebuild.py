"""Build stations' horizons from the database and store what changed."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from playlists.schedule.builder import build_day
from playlists.schedule.domain import DayInputs
from playlists.schedule.serialize import timeline_bytes
from playlists.timelines.inputs import Plan, Rule, load_plan
from playlists.timelines.store import Horizon, save_bodies, save_horizons

Progress = Callable[[int, int], None]  # (rules done, rules in all)


@dataclass(frozen=True, slots=True)
class BuildReport:
    stations: int
    rules: int  # distinct rule sets, each built once
    timelines: int  # distinct day timelines computed
    new_bodies: int
    changed: tuple[int, ...]  # stations whose version moved
    seconds: float


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def build_horizons(
    plan: Plan, *, now: datetime, horizon_days: int, progress: Progress | None = None
) -> tuple[dict[int, Horizon], dict[str, tuple[date, bytes]], int]:
    """Pure: every station's horizon from the plan, each distinct input built once."""
    bodies: dict[str, tuple[date, bytes]] = {}
    built: dict[tuple[DayInputs, date], str] = {}
    horizons: dict[int, Horizon] = {}
    for done, (rule, stations) in enumerate(plan.rules.items(), start=1):
        horizon = _rule_horizon(plan, rule, now, horizon_days, built, bodies)
        horizons.update((station_id, horizon) for station_id in stations)
        if progress is not None:
            progress(done, len(plan.rules))
    return horizons, bodies, len(built)


def _rule_horizon(
    plan: Plan,
    rule: Rule,
    now: datetime,
    horizon_days: int,
    built: dict[tuple[DayInputs, date], str],
    bodies: dict[str, tuple[date, bytes]],
) -> Horizon:
    inputs = plan.inputs(rule)
    today = local_today(now, rule.timezone)
    days: dict[str, str] = {}
    for offset in range(horizon_days):
        day = today + timedelta(days=offset)
        digest = built.get((inputs, day))
        if digest is None:
            data = timeline_bytes(build_day(inputs, day))
            digest = hashlib.sha256(data).hexdigest()
            built[(inputs, day)] = digest
            bodies.setdefault(digest, (day, data))
        days[day.isoformat()] = digest
    return Horizon(rule.timezone, days)


def rebuild(
    *,
    session: Session,
    now: datetime,
    horizon_days: int,
    station_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Rebuild the given stations (all when None) for the horizon starting today, local
    time. The caller commits."""
    started = time.perf_counter()
    plan = load_plan(session=session, station_ids=station_ids)
    horizons, bodies, computed = build_horizons(
        plan, now=now, horizon_days=horizon_days, progress=progress
    )
    new_bodies = save_bodies(session=session, bodies=bodies, now=now)
    changed = save_horizons(session=session, horizons=horizons, now=now)
    return BuildReport(
        stations=len(horizons),
        rules=len(plan.rules),
        timelines=computed,
        new_bodies=new_bodies,
        changed=tuple(changed),
        seconds=time.perf_counter() - started,
    )
