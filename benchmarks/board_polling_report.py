"""The board polling benchmark's figures: one Figures per run from the client's result,
medians over runs, and the table."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from benchmarks.alert_fanout_report import percentile
from benchmarks.machine import describe


@dataclass(slots=True)
class Figures:
    """One run: the heartbeats-only phase ("quiet") beside the boards phase ("live")."""

    quiet_cpu_pct: float  # the server's, of one core
    live_cpu_pct: float
    added_cpu_pct: float  # live - quiet: the boards'
    cpu_ms_per_poll: float  # the added CPU over the board requests answered
    quiet_beats_per_s: float
    live_beats_per_s: float
    quiet_beat_p50_ms: float  # from when each heartbeat was due
    quiet_beat_p99_ms: float
    live_beat_p50_ms: float
    live_beat_p99_ms: float
    polls_per_s: float  # board requests answered 200 or 204
    polls_200: int
    polls_204: int
    not_modified: float  # share of 204s
    commune_not_modified: float
    province_not_modified: float
    poll_p50_ms: float
    poll_p99_ms: float
    fragment_kb: float  # a 200's body, on average, decoded
    fragment_wire_kb: float  # and as sent
    quiet_client_cpu_pct: float
    live_client_cpu_pct: float
    opened: int  # boards whose page loaded, with a live element
    opened_s: float  # loading all their pages
    errors: int
    kinds: Counter[str] = field(default_factory=Counter)  # errors, by phase and kind


def _share(statuses: dict[str, int]) -> float:
    answered = statuses.get("200", 0) + statuses.get("204", 0)
    return statuses.get("204", 0) / answered if answered else math.nan


def figures_of(result: dict[str, Any]) -> Figures:
    quiet, live = result["phases"]["heartbeats"], result["phases"]["boards"]
    polls: Counter[str] = Counter()
    latencies: list[float] = []
    body = wire = 0
    kinds: Counter[str] = Counter({f"opening {k}": n for k, n in result["open_errors"].items()})
    for scope, tally in live["boards"].items():
        polls.update(tally["statuses"])
        latencies += tally["latencies_ms"]
        body += tally["body_bytes"]
        wire += tally["wire_bytes"]
        kinds.update({f"boards {scope} {k}": n for k, n in tally["errors"].items()})
    for name, phase in (("heartbeats only", quiet), ("with boards", live)):
        kinds.update({f"heartbeat {name} {k}": n for k, n in phase["heartbeats"]["errors"].items()})
    latencies.sort()
    beats = {
        name: sorted(p["heartbeats"]["latencies_ms"]) for name, p in (("q", quiet), ("l", live))
    }
    cpu = {name: p["server_cpu_s"] / p["window_s"] * 100 for name, p in (("q", quiet), ("l", live))}
    answered = polls["200"] + polls["204"]
    by_scope = {s: _share(t["statuses"]) for s, t in live["boards"].items()}
    return Figures(
        quiet_cpu_pct=cpu["q"],
        live_cpu_pct=cpu["l"],
        added_cpu_pct=cpu["l"] - cpu["q"],
        cpu_ms_per_poll=(
            (live["server_cpu_s"] - quiet["server_cpu_s"] * live["window_s"] / quiet["window_s"])
            / answered
            * 1000
            if answered
            else math.nan
        ),
        quiet_beats_per_s=len(beats["q"]) / quiet["window_s"],
        live_beats_per_s=len(beats["l"]) / live["window_s"],
        quiet_beat_p50_ms=percentile(beats["q"], 0.50),
        quiet_beat_p99_ms=percentile(beats["q"], 0.99),
        live_beat_p50_ms=percentile(beats["l"], 0.50),
        live_beat_p99_ms=percentile(beats["l"], 0.99),
        polls_per_s=answered / live["window_s"],
        polls_200=polls["200"],
        polls_204=polls["204"],
        not_modified=_share(dict(polls)),
        commune_not_modified=by_scope.get("commune", math.nan),
        province_not_modified=by_scope.get("province", math.nan),
        poll_p50_ms=percentile(latencies, 0.50),
        poll_p99_ms=percentile(latencies, 0.99),
        fragment_kb=body / polls["200"] / 1000 if polls["200"] else math.nan,
        fragment_wire_kb=wire / polls["200"] / 1000 if polls["200"] else math.nan,
        quiet_client_cpu_pct=quiet["client_cpu_s"] / quiet["window_s"] * 100,
        live_client_cpu_pct=live["client_cpu_s"] / live["window_s"] * 100,
        opened=result["opened"],
        opened_s=result["opened_s"],
        errors=sum(kinds.values()),
        kinds=kinds,
    )


def median_of(runs: list[Figures]) -> Figures:
    """Each figure's median over the runs; the errors summed."""
    kinds: Counter[str] = Counter()
    for run in runs:
        kinds.update(run.kinds)
    values: dict[str, Any] = {
        f.name: statistics.median(getattr(r, f.name) for r in runs)
        for f in fields(Figures)
        if f.name not in ("errors", "kinds")
    }
    return Figures(**values, errors=sum(r.errors for r in runs), kinds=kinds)


@dataclass(frozen=True, slots=True)
class Setting:
    agents: int
    boards: int
    commune_boards: int
    communes: int
    seconds: float
    refresh_s: float
    heartbeat_s: float
    runs: int
    database: str  # e.g. "SQLite 3.46.1"


def _pair(p50: float, p99: float) -> str:
    return f"{p50:.1f} / {p99:.1f}"


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def table(row: Figures, setting: Setting) -> list[str]:
    """One line a figure: (label, with heartbeats only, with the boards too)."""
    rows = [
        ("", "heartbeats only", f"+ {setting.boards} boards"),
        ("server CPU, % of one core", f"{row.quiet_cpu_pct:.1f}", f"{row.live_cpu_pct:.1f}"),
        ("  of it the boards' (the difference)", "", f"{row.added_cpu_pct:+.1f}"),
        ("  server CPU ms per board request", "", f"{row.cpu_ms_per_poll:.2f}"),
        ("heartbeats/s", f"{row.quiet_beats_per_s:.1f}", f"{row.live_beats_per_s:.1f}"),
        (
            "heartbeat latency p50 / p99, ms",
            _pair(row.quiet_beat_p50_ms, row.quiet_beat_p99_ms),
            _pair(row.live_beat_p50_ms, row.live_beat_p99_ms),
        ),
        ("board requests/s", "", f"{row.polls_per_s:.1f}"),
        ("  answered 204 (board unchanged)", "", _pct(row.not_modified)),
        ("    on communes' boards", "", _pct(row.commune_not_modified)),
        ("    on the province's", "", _pct(row.province_not_modified)),
        ("board request latency p50 / p99, ms", "", _pair(row.poll_p50_ms, row.poll_p99_ms)),
        ("  a 200's fragment, KB", "", f"{row.fragment_kb:.1f}"),
        ("    as sent (gzip accepted)", "", f"{row.fragment_wire_kb:.1f}"),
        (
            "client process CPU, % of one core",
            f"{row.quiet_client_cpu_pct:.1f}",
            f"{row.live_client_cpu_pct:.1f}",
        ),
        ("errors (both phases)", "", str(row.errors)),
    ]
    return [f"{label:<40} {quiet:>16} {live:>16}" for label, quiet, live in rows]


def report(setting: Setting, runs: list[Figures], notes: list[str]) -> str:
    province = setting.boards - setting.commune_boards
    lines = [
        f"board polling benchmark: {setting.agents} agents, a heartbeat each every "
        f"{setting.heartbeat_s:g} s ({setting.agents / setting.heartbeat_s:.1f}/s, spread "
        f"evenly), beside {setting.boards} open status boards asking every "
        f"{setting.refresh_s:g} s (LOAXA_BOARD_REFRESH_S) with their digest: "
        f"{setting.commune_boards} on {setting.communes} communes' boards, {province} on the "
        f"province's; {setting.seconds:g} s per phase, median of {setting.runs} run(s)",
        f"server: `loaxa server` (one process, scheduler on) on {setting.database}; clients: "
        "one process of their own (asyncio, a connection a request), not counted",
        describe(),
        *notes,
        "",
        *table(median_of(runs), setting),
    ]
    if len(runs) > 1:
        lines += ["", "each run: server CPU % quiet -> with boards (difference), 204 share"]
        lines += [
            f"  run {n}: {r.quiet_cpu_pct:.1f} -> {r.live_cpu_pct:.1f} "
            f"({r.added_cpu_pct:+.1f}), {_pct(r.not_modified)}"
            for n, r in enumerate(runs, 1)
        ]
    median = median_of(runs)
    if median.errors:
        kinds = ", ".join(f"{kind} x{count}" for kind, count in median.kinds.most_common())
        lines.append(f"errors: {kinds}")
    return "\n".join(lines) + "\n"
