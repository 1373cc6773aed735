"""The agent load benchmark's figures: a row per backend, server and mode from the load
generators' results, medians over runs, the table, the targets and the machine."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.agent_load_procs import Footprint
from benchmarks.machine import describe

P99_TARGET_MS = 200.0
RATIO_TARGET = 0.5
RSS_TARGET_MB = 80.0
FULL_RATE = 0.98  # of --rate, for "the full rate"


@dataclass(slots=True)
class Row:
    backend: str
    server: str  # loaxa | bare
    mode: str  # fixed | max
    rps: float  # answered as expected, per second
    p50_ms: float  # latencies of the requests answered as expected
    p99_ms: float
    max_ms: float
    errors: int  # unexpected status, connection error or no answer in time
    not_modified: float  # share of the manifest polls answered 304
    kinds: Counter[str] = field(default_factory=Counter)  # errors by method and kind


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def row_of(
    backend: str, server: str, mode: str, seconds: float, results: list[dict[str, Any]]
) -> Row:
    """One phase's row from its generators' results: the window is the phase's length, or
    (open loop) until the last answer came in, when that is later."""
    latencies = sorted(v for r in results for v in r["latencies_ms"])
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for result in results:
        kinds.update(result["errors"])
        statuses.update(result["statuses"])
    polls = statuses["GET 200"] + statuses["GET 304"]
    window = seconds if mode == "max" else max([seconds, *(r["elapsed_s"] for r in results)])
    return Row(
        backend=backend,
        server=server,
        mode=mode,
        rps=len(latencies) / window,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else math.nan,
        errors=sum(kinds.values()),
        not_modified=statuses["GET 304"] / polls if polls else math.nan,
        kinds=kinds,
    )


def median_of(rows: list[Row]) -> Row:
    """Medians of the figures over runs; errors summed."""
    kinds: Counter[str] = Counter()
    for row in rows:
        kinds.update(row.kinds)
    return Row(
        backend=rows[0].backend,
        server=rows[0].server,
        mode=rows[0].mode,
        rps=statistics.median(r.rps for r in rows),
        p50_ms=statistics.median(r.p50_ms for r in rows),
        p99_ms=statistics.median(r.p99_ms for r in rows),
        max_ms=statistics.median(r.max_ms for r in rows),
        errors=sum(r.errors for r in rows),
        not_modified=statistics.median(r.not_modified for r in rows),
        kinds=kinds,
    )


def machine() -> str:
    return describe()


@dataclass(frozen=True, slots=True)
class Setting:
    stations: int
    rate: float
    seconds: float
    concurrency: int
    runs: int
    workers: int
    clients: int
    idle_seconds: float


def report(
    setting: Setting,
    rows: list[Row],
    footprints: list[Footprint],
    notes: list[str],
) -> str:
    fixed, most = f"fixed {setting.rate:g}/s", f"max c={setting.concurrency}"
    lines = [
        f"agent load benchmark: {setting.stations} enrolled stations; 2 manifest polls "
        f"(If-None-Match) to 1 heartbeat; {setting.seconds:g} s per phase, median of "
        f"{setting.runs} run(s)",
        f"servers: loaxa = uvicorn api:create_app (scheduler enabled), bare = FastAPI "
        f"benchmarks/agent_load_bare.py; both {setting.workers} uvicorn worker(s), "
        "same settings (access log on, as `loaxa server`)",
        f"load: {setting.clients} generator process(es), HTTP/1.1 keep-alive; fixed = open "
        f"loop at {setting.rate:g} req/s (latency from when due), max = closed loop on "
        f"{setting.concurrency} connections; latencies of the requests answered as expected; "
        "errors: any other status, a broken connection, or no answer within 30 s",
        machine(),
        *notes,
        "",
        f"{'backend':<11} {'server':<6} {'mode':<15} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>7} {'304 %':>6}",
    ]
    for row in rows:
        share = "-" if row.server == "bare" else f"{row.not_modified * 100:.1f}"
        lines.append(
            f"{row.backend:<11} {row.server:<6} {fixed if row.mode == 'fixed' else most:<15} "
            f"{row.rps:8.1f} {row.p50_ms:8.2f} {row.p99_ms:8.2f} {row.max_ms:8.2f} "
            f"{row.errors:7d} {share:>6}"
        )
    lines.append("")
    for row in rows:
        if row.errors:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in row.kinds.most_common())
            lines.append(f"errors {row.backend} {row.server} {row.mode}: {kinds}")
    for backend in dict.fromkeys(r.backend for r in rows):
        lines += _targets(setting, {(r.server, r.mode): r for r in rows if r.backend == backend})
    names = {"loaxa": "`loaxa agent` as installed here", "pi": "agent-only install, as on a Pi"}
    for footprint in footprints:
        verdict = "met" if footprint.peak_rss_mb < RSS_TARGET_MB else "MISSED"
        lines.append(
            f"agent ({names[footprint.label]}): synced in {footprint.sync_s:.1f} s; RSS idle "
            f"{footprint.idle_rss_mb:.1f} MB, peak {footprint.peak_rss_mb:.1f} MB; idle CPU "
            f"{footprint.idle_cpu_pct:.2f} % of one core over {setting.idle_seconds:g} s "
            f"(peak RSS < {RSS_TARGET_MB:g} MB: {verdict})"
        )
    return "\n".join(lines) + "\n"


def _targets(setting: Setting, found: dict[tuple[str, str], Row]) -> list[str]:
    backend = found[("loaxa", "fixed")].backend
    steady, top, base = found[("loaxa", "fixed")], found[("loaxa", "max")], found[("bare", "max")]
    full = steady.rps >= FULL_RATE * setting.rate and steady.errors == 0
    met = full and steady.p99_ms < P99_TARGET_MS
    ratio = top.rps / base.rps if base.rps else math.nan
    return [
        f"target {backend}: {steady.rps:.1f} of {setting.rate:g} req/s with {steady.errors} "
        f"error(s), p99 {steady.p99_ms:.1f} ms (the full rate, no errors, p99 < "
        f"{P99_TARGET_MS:g} ms): {'met' if met else 'MISSED'}",
        f"ratio {backend}: loaxa/bare max throughput {top.rps:.0f}/{base.rps:.0f} = "
        f"{ratio:.2f} (target >= {RATIO_TARGET}): {'met' if ratio >= RATIO_TARGET else 'MISSED'}",
    ]
