"""Server load benchmark: simulated station agents against the real server, beside a bare
FastAPI endpoint on the same machine, on SQLite and on PostgreSQL; and a real agent's
memory and idle CPU.

Per backend: a fresh database with `--stations` enrolled stations and their playlists built
(benchmarks/agent_load_setup.py); the real server as its own process (uvicorn on
api:create_app, scheduler enabled, as in production) and the bare app
(benchmarks/agent_load_bare.py) under the same uvicorn settings; load generator processes
(benchmarks/agent_load_client.py) sending manifest polls with If-None-Match (304) and
heartbeats, two polls to one, over the stations' tokens:

- fixed: open loop at `--rate` requests/s (700 ≈ 100,000 agents) for `--seconds`; latency
  from when each request was due;
- max: closed loop over `--concurrency` connections for `--seconds`.

Then a real agent (`loaxa agent` with a saved token) syncs its manifest and file and is
sampled idle for `--idle-seconds` (VmRSS, VmHWM, CPU time from /proc), both as installed
here and with the server's packages hidden (an agent-only install, as on a Raspberry Pi).
Targets: the full rate with p99 under 200 ms; max throughput at least half the bare
endpoint's; the agent under 80 MB.

    .venv/bin/python -m benchmarks.agent_load                        # SQLite, full size
    .venv/bin/python -m benchmarks.agent_load --backends sqlite,postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/empty_db
    .venv/bin/python -m benchmarks.agent_load --stations 5 --rate 50 --seconds 2 \\
        --concurrency 4 --idle-seconds 2 --backends sqlite           # tiny
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.agent_load_procs import (
    Footprint,
    Processes,
    Server,
    clean_env,
    measure_agents,
    run_generators,
    start_server,
)
from benchmarks.agent_load_setup import Enrolled, Fleet, build_fleet
from core.db import Database
from stations.agent.credentials import Credentials
from stations.protocol import Heartbeat, etag

BACKENDS = ("sqlite", "postgresql")
OPEN_LOOP_CONNECTIONS = 256  # at most, over all generator processes
REQUEST_TIMEOUT_S = 30.0
START_LEAD_S = 1.0  # generator processes start, then all begin at the same moment
P99_TARGET_MS = 200.0
RATIO_TARGET = 0.5
RSS_TARGET_MB = 80.0


def say(message: str) -> None:
    sys.stderr.write(f"[agent_load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(frozen=True, slots=True)
class Row:
    backend: str
    server: str  # loaxa | bare
    mode: str  # fixed | max
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    not_modified: float  # share of manifest polls answered 304 (loaxa)


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _row(
    backend: str, server: str, mode: str, seconds: float, results: list[dict[str, Any]]
) -> Row:
    latencies = sorted(v for r in results for v in r["latencies_ms"])
    errors = sum(n for r in results for n in r["errors"].values())
    statuses: dict[str, int] = {}
    for result in results:
        for key, count in result["statuses"].items():
            statuses[key] = statuses.get(key, 0) + count
    polls = statuses.get("GET 200", 0) + statuses.get("GET 304", 0)
    window = seconds if mode == "max" else max([seconds, *(r["elapsed_s"] for r in results)])
    return Row(
        backend=backend,
        server=server,
        mode=mode,
        rps=len(latencies) / window,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else math.nan,
        errors=errors,
        not_modified=statuses.get("GET 304", 0) / polls if polls else math.nan,
    )


def _median(rows: list[Row]) -> Row:
    first = rows[0]
    return Row(
        backend=first.backend,
        server=first.server,
        mode=first.mode,
        rps=statistics.median(r.rps for r in rows),
        p50_ms=statistics.median(r.p50_ms for r in rows),
        p99_ms=statistics.median(r.p99_ms for r in rows),
        max_ms=statistics.median(r.max_ms for r in rows),
        errors=sum(r.errors for r in rows),
        not_modified=statistics.median(r.not_modified for r in rows),
    )


def _agents(stations: list[Enrolled]) -> list[dict[str, Any]]:
    """What each simulated agent sends: its token, its ETag, its heartbeat's body."""
    return [
        {
            "token": s.token,
            "etag": etag(s.version),
            "heartbeat": Heartbeat(
                manifest_version=s.version,
                clock_offset_ms=3,
                disk_free_bytes=12_000_000_000,
                cpu_temp_c=48.5,
                volume=80,
                agent_version="0.1.0",
                uptime_s=86_400.0,
                last_error=None,
            ).model_dump_json(),
        }
        for s in stations
    ]


class Load:
    """Runs one phase against one server with the generator processes."""

    def __init__(self, processes: Processes, args: argparse.Namespace, fleet: Fleet) -> None:
        self.processes = processes
        self.args = args
        self.agents = _agents(fleet.stations)

    def specs(self, server: Server, mode: str, seconds: float) -> list[dict[str, Any]]:
        clients = min(self.args.clients, len(self.agents))
        start_at = time.time() + START_LEAD_S
        specs = []
        for number in range(clients):
            share = self.args.concurrency // clients + (number < self.args.concurrency % clients)
            specs.append(
                {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "mode": "open" if mode == "fixed" else "closed",
                    "rate": self.args.rate / clients,
                    "concurrency": max(1, share),
                    "max_connections": max(1, OPEN_LOOP_CONNECTIONS // clients),
                    "timeout_s": REQUEST_TIMEOUT_S,
                    "start_at": start_at,
                    "seconds": seconds,
                    "agents": self.agents[number::clients],
                }
            )
        return specs

    def run(self, backend: str, label: str, server: Server, mode: str, seconds: float) -> Row:
        specs = self.specs(server, mode, seconds)
        timeout = START_LEAD_S + seconds + REQUEST_TIMEOUT_S + 60
        results = run_generators(self.processes, specs, timeout)
        return _row(backend, label, mode, seconds, results)


def _backend_url(backend: str, args: argparse.Namespace, folder: Path) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'loaxa.db'}"
    if args.database_url and args.database_url.startswith("postgresql"):
        return str(args.database_url)
    return None


def _measure_backend(
    backend: str,
    url: str,
    folder: Path,
    processes: Processes,
    bare: Server,
    args: argparse.Namespace,
    with_agents: bool,
) -> tuple[list[Row], list[Footprint], str]:
    say(f"{backend}: setting up {args.stations} stations")
    data_dir = folder / "data"
    data_dir.mkdir(parents=True)
    fleet = build_fleet(url, data_dir, args.stations, 2 if with_agents else 0, say)
    version = _server_version(url)
    env = clean_env(
        {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(data_dir),
            "LOAXA_SCHEDULER_ENABLED": "true",
        }
    )
    say(f"{backend}: starting the server ({args.workers} uvicorn worker(s))")
    loaxa = start_server(
        processes,
        f"loaxa-{backend}",
        "api:create_app",
        workers=args.workers,
        factory=True,
        env=env,
        ready_path="/readyz",
    )
    load = Load(processes, args, fleet)
    servers = (("loaxa", loaxa), ("bare", bare))
    rows: dict[tuple[str, str], list[Row]] = {}
    try:
        if args.warmup > 0:
            say(f"{backend}: warming up both servers ({args.warmup:g} s each)")
            for label, server in servers:
                load.run(backend, label, server, "max", args.warmup)
        for run in range(1, args.runs + 1):
            for mode in ("fixed", "max"):
                for label, server in servers:
                    what = f"{args.rate:g} req/s" if mode == "fixed" else f"c={args.concurrency}"
                    say(f"{backend}: run {run}/{args.runs}: {label} {mode} ({what})")
                    row = load.run(backend, label, server, mode, args.seconds)
                    rows.setdefault((label, mode), []).append(row)
        footprints: list[Footprint] = []
        if with_agents:
            pairs = [("loaxa", fleet.spare[0]), ("pi", fleet.spare[1])]
            agents = [(label, Credentials(s.station_id, s.token)) for label, s in pairs]
            say(f"{backend}: starting two real agents against the server")
            footprints = measure_agents(
                processes, loaxa.base, agents, fleet.sha256, args.idle_seconds, say
            )
    finally:
        processes.stop(loaxa.process)
    medians = [_median(rows[(label, mode)]) for mode in ("fixed", "max") for label, _ in servers]
    return medians, footprints, version


def _server_version(url: str) -> str:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            query = "SELECT sqlite_version()" if database.is_sqlite else "SHOW server_version"
            found = connection.execute(text(query)).scalar()
    finally:
        database.dispose()
    return f"{'SQLite' if database.is_sqlite else 'PostgreSQL'} {found}"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join((__doc__ or "").splitlines()[1:]),
    )
    parser.add_argument("--stations", type=int, default=1000, help="enrolled stations")
    parser.add_argument("--rate", type=float, default=700.0, help="fixed rate, req/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=64, help="max mode's connections")
    parser.add_argument("--runs", type=int, default=1, help="runs of each phase (median)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per server, 0: none")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="agent sampling; 0: skip")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of each server")
    parser.add_argument(
        "--clients",
        type=int,
        default=max(1, min(4, (os.cpu_count() or 2) // 2)),
        help="load generator processes (default: half the cores, 1 to 4)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--database-url",
        default=None,
        help="an EMPTY PostgreSQL database for the postgresql backend (else it is skipped)",
    )
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}: choose from {', '.join(BACKENDS)}")
    args.backends = backends
    for name in ("stations", "runs", "workers", "clients", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.rate <= 0 or args.seconds <= 0 or args.warmup < 0 or args.idle_seconds < 0:
        parser.error(
            "--rate and --seconds must be positive, --warmup and --idle-seconds not negative"
        )
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-load-"))
    processes = Processes(folder)
    rows: list[Row] = []
    footprints: list[Footprint] = []
    versions: list[str] = []
    skipped: list[str] = []
    try:
        say("starting the bare baseline")
        bare = start_server(
            processes,
            "bare",
            "benchmarks.agent_load_bare:app",
            workers=args.workers,
            factory=False,
            env=clean_env({}),
            ready_path="/openapi.json",
        )
        for backend in args.backends:
            url = _backend_url(backend, args, folder / backend)
            if url is None:
                skipped.append(f"{backend}: skipped (give --database-url of an empty database)")
                say(skipped[-1])
                continue
            found, agents, version = _measure_backend(
                backend, url, folder / backend, processes, bare, args, not footprints
            )
            rows += found
            footprints += agents
            versions.append(version)
    finally:
        processes.stop_all()
        shutil.rmtree(folder, ignore_errors=True)
    _report(args, rows, footprints, versions, skipped)
    return {"rows": rows, "agents": footprints}


def _machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = 0.0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 1024 / 1024
    return (
        f"machine: {model}, {os.cpu_count()} cores, {memory:.1f} GB RAM, {platform.machine()}, "
        f"{platform.system()} {platform.release()}, python {platform.python_version()}"
    )


def _report(
    args: argparse.Namespace,
    rows: list[Row],
    footprints: list[Footprint],
    versions: list[str],
    skipped: list[str],
) -> None:
    fixed, most = f"fixed {args.rate:g}/s", f"max c={args.concurrency}"
    lines = [
        f"agent load benchmark: {args.stations} enrolled stations; 2 manifest polls "
        "(If-None-Match) to 1 heartbeat; "
        f"{args.seconds:g} s per phase, median of {args.runs} run(s)",
        f"servers: loaxa = uvicorn api:create_app (scheduler enabled), bare = FastAPI "
        f"benchmarks/agent_load_bare.py; both {args.workers} uvicorn worker(s), same settings",
        f"load: {args.clients} generator process(es), HTTP/1.1 keep-alive; fixed = open loop "
        f"at {args.rate:g} req/s (latency from when due), max = closed loop on "
        f"{args.concurrency} connections",
        _machine(),
        f"databases: {', '.join(versions) or 'none'} (on this machine)",
        *skipped,
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
    for backend in dict.fromkeys(r.backend for r in rows):
        found = {(r.server, r.mode): r for r in rows if r.backend == backend}
        steady, top, base = (
            found[("loaxa", "fixed")],
            found[("loaxa", "max")],
            found[("bare", "max")],
        )
        full = steady.rps >= 0.98 * args.rate and steady.errors == 0
        met = full and steady.p99_ms < P99_TARGET_MS
        lines.append(
            f"target {backend}: {steady.rps:.1f} of {args.rate:g} req/s, p99 "
            f"{steady.p99_ms:.1f} ms (full rate, p99 < {P99_TARGET_MS:g} ms): "
            f"{'met' if met else 'MISSED'}"
        )
        ratio = top.rps / base.rps if base.rps else math.nan
        verdict = "met" if ratio >= RATIO_TARGET else "MISSED"
        lines.append(
            f"ratio {backend}: loaxa/bare max throughput {top.rps:.0f}/{base.rps:.0f} = "
            f"{ratio:.2f} (target >= {RATIO_TARGET}): {verdict}"
        )
    names = {"loaxa": "`loaxa agent` as installed here", "pi": "agent-only imports (a Pi)"}
    for footprint in footprints:
        verdict = "met" if footprint.peak_rss_mb < RSS_TARGET_MB else "MISSED"
        lines.append(
            f"agent ({names[footprint.label]}): synced in {footprint.sync_s:.1f} s; RSS idle "
            f"{footprint.idle_rss_mb:.1f} MB, peak {footprint.peak_rss_mb:.1f} MB; idle CPU "
            f"{footprint.idle_cpu_pct:.2f} % of one core over {args.idle_seconds:g} s "
            f"(RSS < {RSS_TARGET_MB:g} MB: {verdict})"
        )
    sys.stdout.write("\n".join(lines) + "\n")


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the cleanup in main's finally


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    main()
