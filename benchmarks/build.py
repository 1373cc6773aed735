"""Playlist build benchmark on a generated nation (the pure builder, no database yet).

3,321 communes and wards of vietnam-provinces, 30 stations each (about 100,000), two
sessions a day, 40 queued items per commune, 5 province-wide items per province and a
national relay. Stations of one commune share their inputs, so the shared build makes one
timeline per commune and day; the naive build makes one per station. Both run in this
process, one after the other, in the same run.

    .venv/bin/python -m benchmarks.build                  # full size
    .venv/bin/python -m benchmarks.build --communes 50    # smaller
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time as clock
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

import vietnam_provinces as vn

from playlists.builder.day import build_day
from playlists.builder.domain import (
    ContentSpec,
    DayInputs,
    PolicySpec,
    QueueSpec,
    SessionSpec,
    TierRank,
    Timeline,
)
from playlists.builder.recurrence import Recurrence, Repeat

DAILY = Recurrence(repeat=Repeat.daily)
FIRST_DAY = date(2026, 12, 1)
STATIONS_PER_COMMUNE = 30
ITEMS_PER_COMMUNE = 40
PROVINCE_ITEMS = 5


def _sessions(urban: bool) -> tuple[SessionSpec, ...]:
    minutes = 15 if urban else 45  # Hanoi's rule: urban wards 15 minutes, rural 45
    return (
        SessionSpec(
            id=1, name="Sáng", start=time(5, 30), max_length_s=minutes * 60, recurrence=DAILY
        ),
        SessionSpec(
            id=2, name="Chiều", start=time(17, 0), max_length_s=minutes * 60, recurrence=DAILY
        ),
    )


def nation(communes: int | None, seed: int = 7) -> list[tuple[str, DayInputs]]:
    """(commune code, inputs) for every commune; its stations share the inputs."""
    rng = random.Random(seed)
    wards = sorted(vn.Ward.iter_all(), key=lambda w: int(w.code))[:communes]
    next_id = iter(range(1, 10**9))
    national = ContentSpec(
        id=next(next_id),
        title="Thời sự VOV1",
        tier=TierRank.normal,
        duration_s=None,
        stream_url="http://vov.example/vov1",
    )
    province_items: dict[int, list[ContentSpec]] = {}
    result = []
    for ward in wards:
        province = int(ward.province_code)
        if province not in province_items:
            province_items[province] = [
                ContentSpec(
                    id=next(next_id),
                    title=f"Tỉnh {province} #{i}",
                    tier=TierRank.priority,
                    duration_s=rng.randint(30, 120),
                )
                for i in range(PROVINCE_ITEMS)
            ]
        own = [
            ContentSpec(
                id=next(next_id),
                title=f"{ward.name} #{i}",
                tier=TierRank.normal,
                duration_s=rng.randint(30, 300),
            )
            for i in range(ITEMS_PER_COMMUNE)
        ]
        items = [*province_items[province], *own]
        queue = [
            QueueSpec(
                id=next(next_id), content_id=c.id, session_id=1 + i % 2, order=i, recurrence=DAILY
            )
            for i, c in enumerate(items)
        ]
        queue.append(
            QueueSpec(
                id=next(next_id),
                content_id=national.id,
                at=time(6, 0),
                relay_length_s=15 * 60,
                recurrence=DAILY,
            )
        )
        urban = ward.division_type.value == "phường"
        policy = PolicySpec(days_off=frozenset({5, 6}) if urban else frozenset())
        result.append(
            (
                str(ward.code),
                DayInputs(
                    timezone="Asia/Ho_Chi_Minh",
                    sessions=_sessions(urban),
                    queue=tuple(queue),
                    content=(national, *items),
                    policy=policy,
                ),
            )
        )
    return result


def shared_build(
    communes: list[tuple[str, DayInputs]], days: int
) -> dict[tuple[str, int], Timeline]:
    """One build per commune and day; every station of the commune points at it."""
    built: dict[tuple[str, int], Timeline] = {}
    for code, inputs in communes:
        for offset in range(days):
            timeline = build_day(inputs, FIRST_DAY + timedelta(days=offset))
            for station in range(STATIONS_PER_COMMUNE):
                built[(f"{code}-{station}", offset)] = timeline
    return built


def naive_build(
    communes: list[tuple[str, DayInputs]], days: int
) -> dict[tuple[str, int], Timeline]:
    """One build per station and day, as if no two stations shared anything."""
    built: dict[tuple[str, int], Timeline] = {}
    for code, inputs in communes:
        for station in range(STATIONS_PER_COMMUNE):
            for offset in range(days):
                built[(f"{code}-{station}", offset)] = build_day(
                    inputs, FIRST_DAY + timedelta(days=offset)
                )
    return built


def incremental(communes: list[tuple[str, DayInputs]], days: int) -> int:
    """One commune's queue changes: rebuild that commune's stations for the horizon."""
    code, inputs = communes[len(communes) // 2]
    extra = ContentSpec(id=10**9, title="Thông báo mới", tier=TierRank.priority, duration_s=60)
    changed = inputs.model_copy(
        update={
            "content": (*inputs.content, extra),
            "queue": (
                *inputs.queue,
                QueueSpec(id=10**9, content_id=extra.id, session_id=1, recurrence=DAILY),
            ),
        }
    )
    return len(shared_build([(code, changed)], days))


def _timed(run: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = clock.perf_counter()
        run()
        samples.append(clock.perf_counter() - started)
    return statistics.median(samples)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _report(
    communes: list[tuple[str, DayInputs]], days: int, runs: int, results: dict[str, float]
) -> None:
    items = statistics.median(len(build_day(c, FIRST_DAY).items) for _, c in communes[:50])
    ratio = results["one_day_naive_s"] / results["one_day_shared_s"]
    lines = [
        f"build benchmark: {len(communes)} communes, {len(communes) * STATIONS_PER_COMMUNE} "
        f"stations, {days}-day horizon, median {items:.0f} items a commune-day; "
        f"median of {runs} run(s)",
        f"machine: {platform.machine()}, python {platform.python_version()}",
        f"one day, shared per commune    {results['one_day_shared_s']:8.2f} s",
        f"{days} days, shared per commune   {results['horizon_shared_s']:8.2f} s",
        f"one commune changed, {days} days {results['incremental_s'] * 1000:8.1f} ms",
        f"one day, naive per station     {results['one_day_naive_s']:8.2f} s ({ratio:.0f}x)",
        f"peak memory (VmHWM)            {results['peak_mb']:8.1f} MB",
    ]
    print("\n".join(lines))  # noqa: T201


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=None, help="default: all 3,321")
    parser.add_argument("--runs", type=int, default=1, help="runs of each, medians reported")
    parser.add_argument("--days", type=int, default=7, help="the horizon")
    args = parser.parse_args(argv)
    communes = nation(args.communes)
    results = {
        "one_day_shared_s": _timed(lambda: shared_build(communes, 1), args.runs),
        "horizon_shared_s": _timed(lambda: shared_build(communes, args.days), args.runs),
        "incremental_s": _timed(lambda: incremental(communes, args.days), max(args.runs, 5)),
        "one_day_naive_s": _timed(lambda: naive_build(communes, 1), args.runs),
    }
    results["peak_mb"] = _peak_mb()
    _report(communes, args.days, args.runs, results)
    return results


if __name__ == "__main__":
    main()
