"""The playout benchmark's figures: start errors and soft-item gaps from one pass, medians
over runs, and the table with the targets and the machine."""

from __future__ import annotations

import math
import statistics
from datetime import datetime

import vlc

from benchmarks.machine import describe
from benchmarks.playout_passes import PassResult

START_TARGET_MS = 50.0  # p99 of the start error
GAP_TARGET_MS = 100.0  # every gap between soft items
# What a loudspeaker emits (the recorded output of a paced sink): tighter.
HEARD_START_TARGET_MS = 10.0
HEARD_GAP_TARGET_MS = 20.0
SOURCES = {"own": "own clock", "vlc": "Playing", "heard": "heard"}


def _ms(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() * 1000


def _spread(name: str, values: list[float]) -> dict[str, float]:
    """p50, p99 (linear between ranks, as numpy does) and max; NaN when there is nothing."""
    if not values:
        return {f"{name}_{stat}_ms": math.nan for stat in ("p50", "p99", "max")}
    if len(values) == 1:
        p50 = p99 = values[0]
    else:
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    return {f"{name}_p50_ms": p50, f"{name}_p99_ms": p99, f"{name}_max_ms": max(values)}


def _gaps(result: PassResult, starts: dict[int, datetime]) -> list[float]:
    """Silence between a soft item and the one before it: its start minus the previous
    one's start plus length. A late previous item is cut short by the next, so a
    negative difference is no silence: 0."""
    gaps = []
    for index, item in enumerate(result.items):
        if item.soft and index in starts and index - 1 in starts:
            previous = result.items[index - 1]
            gap = _ms(starts[index], starts[index - 1]) - previous.duration_s * 1000
            gaps.append(max(gap, 0.0))
    return gaps


def summarize(result: PassResult) -> dict[str, float]:
    items = result.items
    figures = {
        "items": float(len(items)),
        "played": float(len(result.started)),
        "matched": float(len(result.playing)),
        "soft_gaps": float(len(_gaps(result, result.started))),
    }
    sources = [("own", result.started), ("vlc", result.playing)]
    if result.heard:
        sources.append(("heard", result.heard))
        figures["heard"] = float(len(result.heard))
    for source, starts in sources:
        # Early is as wrong as late (an item started ahead for the output's latency).
        signed = [_ms(moment, items[index].start) for index, moment in starts.items()]
        errors = [abs(error) for error in signed]
        figures[f"start_{source}_min_ms"] = min(signed, default=math.nan)
        figures |= _spread(f"start_{source}", errors)
        figures |= _spread(f"gap_{source}", _gaps(result, starts))
    after_own = [
        _ms(moment, result.started[index])
        for index, moment in result.playing.items()
        if index in result.started
    ]
    figures |= _spread("vlc_after_own", after_own)
    return figures


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def machine() -> str:
    return f"{describe()}, libvlc {bytes(vlc.libvlc_get_version()).decode()}"


def _verdict(value: float, target: float) -> str:
    return f"{value:.1f} ms {'met' if value <= target else 'MISSED'}"


def report(summary: dict[str, dict[str, float]], runs: int, output: str) -> None:
    engine, baseline = summary["engine"], summary["baseline"]
    lines = [
        f"playout benchmark: {engine['items']:.0f} items ({engine['soft_gaps']:.0f} soft-item "
        f"gaps), median of {runs} run(s), output: {output}",
        machine(),
        f"{'':22} {'played':>7}  {'|start error| vs plan, ms':>26}  {'soft-item gap, ms':>23}",
        f"{'':22} {'':>7}  {'p50':>8} {'p99':>8} {'max':>8}  {'p50':>7} {'p99':>7} {'max':>7}",
    ]
    sources = {s: n for s, n in SOURCES.items() if f"start_{s}_p50_ms" in engine}
    for mode, row in summary.items():
        for source, name in sources.items():
            count = {"own": row["played"], "vlc": row["matched"]}.get(source, row.get("heard", 0))
            start = [row[f"start_{source}_{stat}_ms"] for stat in ("p50", "p99", "max")]
            gap = [row[f"gap_{source}_{stat}_ms"] for stat in ("p50", "p99", "max")]
            lines.append(
                f"{mode:9} {name:12} {count:3.0f}/{row['items']:<3.0f}  "
                + " ".join(f"{v:8.1f}" for v in start)
                + "  "
                + " ".join(f"{v:7.1f}" for v in gap)
            )
    lines.append(
        "the player's Playing event after the own timestamp, p50/max: "
        f"engine {engine['vlc_after_own_p50_ms']:.1f}/{engine['vlc_after_own_max_ms']:.1f} ms, "
        "baseline "
        f"{baseline['vlc_after_own_p50_ms']:.1f}/{baseline['vlc_after_own_max_ms']:.1f} ms"
    )
    for source, name in sources.items():
        over = [
            engine[k] - baseline[k] for k in (f"start_{source}_p50_ms", f"start_{source}_p99_ms")
        ]
        gap_over = engine[f"gap_{source}_max_ms"] - baseline[f"gap_{source}_max_ms"]
        lines.append(
            f"engine overhead ({name}): start p50 {over[0]:+.1f} ms, p99 {over[1]:+.1f} ms; "
            f"soft gap max {gap_over:+.1f} ms"
        )
    for source, name in sources.items():
        start_target, gap_target = (
            (HEARD_START_TARGET_MS, HEARD_GAP_TARGET_MS)
            if source == "heard"
            else (START_TARGET_MS, GAP_TARGET_MS)
        )
        lines.append(
            f"targets, engine, {name}: start p99 <= {start_target:.0f} ms: "
            f"{_verdict(engine[f'start_{source}_p99_ms'], start_target)}; soft gap <= "
            f"{gap_target:.0f} ms: {_verdict(engine[f'gap_{source}_max_ms'], gap_target)}"
        )
    print("\n".join(lines))  # noqa: T201
