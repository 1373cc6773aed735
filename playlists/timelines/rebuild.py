"""Build stations' horizons from a plan: each distinct input once per day."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playlists.builder.day import build_day
from playlists.builder.domain import DayInputs
from playlists.builder.serialize import timeline_bytes
from playlists.timelines.inputs import Plan, Rule
from playlists.timelines.store import Horizon

Progress = Callable[[int, int], None]  # (rules done, rules in all)


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
