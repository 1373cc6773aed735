"""Server load benchmark: simulated station agents against the real server, beside a bare
FastAPI endpoint on the same machine, on SQLite and on PostgreSQL; and a real agent's
memory and idle CPU.

Per backend: a fresh database with `--stations` enrolled stations and their playlists built
(benchmarks/agent_load_setup.py); the real server as its own process (uvicorn on
api:create_app, scheduler enabled, as in production) and the bare app
(benchmarks/agent_load_bare.py) under the same uvicorn settings. First, against the idle
server, two real agents (`loaxa agent` with a saved token: as installed here, and with the
server's packages hidden, as in an agent-only install on a Raspberry Pi) sync their manifest
and file and are sampled idle for `--idle-seconds` (VmRSS, VmHWM, CPU time from /proc).
Then each simulated agent syncs once (its manifest and ETag), both servers are warmed up
gently, and load generator processes (benchmarks/agent_load_client.py) send manifest polls
with If-None-Match (304) and heartbeats, two polls to one, over the stations' tokens:

- fixed: open loop at `--rate` requests/s (700 ≈ 100,000 agents) for `--seconds`; latency
  from when each request was due;
- max: closed loop over `--concurrency` connections for `--seconds`.

A server that still does not answer a minute after a phase is restarted (and said so).
Targets: the full rate with p99 under 200 ms; max throughput at least half the bare
endpoint's; the agent under 80 MB.

    .venv/bin/python -m benchmarks.agent_load              # full size (PostgreSQL skipped)
    .venv/bin/python -m benchmarks.agent_load --backends sqlite,postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/empty_db
    .venv/bin/python -m benchmarks.agent_load --stations 5 --rate 50 --seconds 2 \\
        --concurrency 4 --idle-seconds 2 --backends sqlite           # tiny
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from benchmarks.agent_load_procs import (
    Footprint,
    Processes,
    Server,
    clean_env,
    measure_agents,
    run_generators,
    start_server,
    wait_ready,
)
from benchmarks.agent_load_report import Row, Setting, median_of, report, row_of
from benchmarks.agent_load_setup import Enrolled, Fleet, build_fleet
from benchmarks.machine import doc_parser, run_script
from core.db import Database
from stations.agent.credentials import Credentials
from stations.protocol import MANIFEST_PATH, Heartbeat

BACKENDS = ("sqlite", "postgresql")
MODES = ("fixed", "max")
OPEN_LOOP_CONNECTIONS = 256  # at most, over all generator processes
REQUEST_TIMEOUT_S = 30.0  # the agent's own (AgentConfig.request_timeout_s)
START_LEAD_S = 0.5  # the generator processes start, then all begin at the same moment
RECOVERY_S = 60.0  # a server still not answering this long after a phase is restarted
WARMUP_SHARE = 0.1  # of --rate


def say(message: str) -> None:
    sys.stderr.write(f"[agent_load {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def prime(server: Server, stations: list[Enrolled]) -> list[dict[str, Any]]:
    """Each agent's first sync, as the real agent does it: its manifest (200), whose ETag it
    sends from then on (so the polls get 304) and whose version its heartbeats report."""
    agents = []
    with httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT_S) as client:
        for station in stations:
            headers = {"Authorization": f"Bearer {station.token}"}
            answer = client.get(MANIFEST_PATH, headers=headers)
            if answer.status_code != 200 or "etag" not in answer.headers:
                raise RuntimeError(
                    f"station #{station.station_id}'s manifest: {answer.status_code}"
                )
            beat = Heartbeat(
                manifest_version=answer.json()["version"],
                clock_offset_ms=3,
                disk_free_bytes=12_000_000_000,
                cpu_temp_c=48.5,
                volume=80,
                agent_version="0.1.0",
                uptime_s=86_400.0,
                last_error=None,
            )
            agents.append(
                {
                    "token": station.token,
                    "etag": answer.headers["etag"],
                    "heartbeat": beat.model_dump_json(),
                }
            )
    return agents


class Bench:
    """One run of the benchmark: its processes, the bare baseline, what it found."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.processes = Processes(folder)
        self.rows: list[Row] = []
        self.footprints: list[Footprint] = []
        self.notes: list[str] = []
        self.bare: Server | None = None

    def start_bare(self) -> Server:
        say("starting the bare baseline")
        self.bare = start_server(
            self.processes,
            "bare",
            "benchmarks.agent_load_bare:app",
            workers=self.args.workers,
            factory=False,
            env=clean_env({}),
            ready_path="/openapi.json",
        )
        return self.bare

    def phase(
        self,
        backend: str,
        label: str,
        server: Server,
        mode: str,
        seconds: float,
        agents: list[dict[str, Any]],
        *,
        rate: float | None = None,
    ) -> Row:
        rate = rate or self.args.rate
        clients = min(self.args.clients, len(agents))
        start_at = time.time() + START_LEAD_S
        specs = []
        for number in range(clients):
            share = self.args.concurrency // clients + (number < self.args.concurrency % clients)
            specs.append(
                {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "mode": "open" if mode == "fixed" else "closed",
                    "rate": rate / clients,
                    "concurrency": max(1, share),
                    "max_connections": max(1, OPEN_LOOP_CONNECTIONS // clients),
                    "timeout_s": REQUEST_TIMEOUT_S,
                    "start_at": start_at,
                    "seconds": seconds,
                    "agents": agents[number::clients],
                }
            )
        timeout = START_LEAD_S + seconds + REQUEST_TIMEOUT_S + 60
        results = run_generators(self.processes, specs, timeout)
        return row_of(backend, label, mode, seconds, results)

    def backend(self, backend: str, url: str, folder: Path) -> None:
        args = self.args
        say(f"{backend}: setting up {args.stations} stations")
        data_dir = folder / "data"
        data_dir.mkdir(parents=True)
        with_agents = args.idle_seconds > 0 and not self.footprints
        fleet = build_fleet(url, data_dir, args.stations, 2 if with_agents else 0, say)
        self.notes.append(f"{backend}: {server_version(url)}, on this machine")
        env = {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(data_dir),
            "LOAXA_SCHEDULER_ENABLED": "true",
        }
        loaxa = self._start_loaxa(backend, env)
        try:
            if with_agents:
                self._agents(backend, loaxa, fleet)
            assert self.bare is not None
            servers = {"loaxa": loaxa, "bare": self.bare}
            say(f"{backend}: each simulated agent's first sync (its manifest and ETag)")
            agents = prime(loaxa, fleet.stations)
            if args.warmup > 0:
                # Gently: connections opened, caches filled, nothing queued up yet.
                gentle = args.rate * WARMUP_SHARE
                say(f"{backend}: warming up both servers ({args.warmup:g} s at {gentle:g} req/s)")
                for label, server in servers.items():
                    self.phase(backend, label, server, "fixed", args.warmup, agents, rate=gentle)
            found: dict[tuple[str, str], list[Row]] = {}
            for run in range(1, args.runs + 1):
                for mode in MODES:
                    for label in servers:
                        if label == "loaxa":
                            loaxa = servers["loaxa"] = self._healthy(backend, loaxa, env, mode)
                        what = (
                            f"{args.rate:g} req/s" if mode == "fixed" else f"c={args.concurrency}"
                        )
                        say(f"{backend}: run {run}/{args.runs}: {label} {mode} ({what})")
                        row = self.phase(backend, label, servers[label], mode, args.seconds, agents)
                        found.setdefault((label, mode), []).append(row)
                        if row.errors:
                            say(f"{backend}: {label} {mode}: {row.errors} error(s)")
            self.rows += [median_of(found[(label, mode)]) for mode in MODES for label in servers]
        finally:
            self.processes.stop(loaxa.process)

    def _start_loaxa(self, backend: str, env: dict[str, str]) -> Server:
        say(f"{backend}: starting the server ({self.args.workers} uvicorn worker(s))")
        return start_server(
            self.processes,
            f"loaxa-{backend}",
            "api:create_app",
            workers=self.args.workers,
            factory=True,
            env=clean_env(env),
            ready_path="/readyz",
        )

    def _healthy(self, backend: str, loaxa: Server, env: dict[str, str], mode: str) -> Server:
        """The server, once it answers again after the last phase; restarted (and noted)
        when it does not within RECOVERY_S."""
        if wait_ready(loaxa, "/readyz", RECOVERY_S):
            return loaxa
        self.notes.append(
            f"{backend}: loaxa did not answer /readyz for {RECOVERY_S:g} s after a phase: "
            f"restarted before the {mode} phase"
        )
        say(self.notes[-1])
        self.processes.stop(loaxa.process)
        return self._start_loaxa(backend, env)

    def _agents(self, backend: str, loaxa: Server, fleet: Fleet) -> None:
        pairs = [("loaxa", fleet.spare[0]), ("pi", fleet.spare[1])]
        agents = [(label, Credentials(s.station_id, s.token)) for label, s in pairs]
        say(f"{backend}: two real agents against the idle server")
        try:
            self.footprints += measure_agents(
                self.processes, loaxa.base, agents, fleet.sha256, self.args.idle_seconds, say
            )
        except RuntimeError as exc:
            self.notes.append(f"agents: not measured: {exc}")
            say(self.notes[-1])


def _backend_url(backend: str, args: argparse.Namespace, folder: Path) -> str | None:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'loaxa.db'}"
    if args.database_url and args.database_url.startswith("postgresql"):
        return str(args.database_url)
    return None


def server_version(url: str) -> str:
    database = Database(url)
    try:
        with database.engine.connect() as connection:
            query = "SELECT sqlite_version()" if database.is_sqlite else "SHOW server_version"
            found = connection.execute(text(query)).scalar()
    finally:
        database.dispose()
    return f"{'SQLite' if database.is_sqlite else 'PostgreSQL'} {found}"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--stations", type=int, default=1000, help="enrolled stations")
    parser.add_argument("--rate", type=float, default=700.0, help="fixed rate, req/s")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--concurrency", type=int, default=64, help="max mode's connections")
    parser.add_argument("--runs", type=int, default=1, help="runs of each phase (median)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per server; 0: none")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="agents; 0: skip them")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
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
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown or not args.backends:
        parser.error(f"--backends: choose from {', '.join(BACKENDS)}")
    for name in ("stations", "runs", "workers", "clients", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.rate <= 0 or args.seconds <= 0 or args.warmup < 0 or args.idle_seconds < 0:
        parser.error("--rate and --seconds must be positive; --warmup, --idle-seconds not negative")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="loaxa-bench-load-")))
    try:
        bench.start_bare()
        for backend in args.backends:
            url = _backend_url(backend, args, bench.folder / backend)
            if url is None:
                bench.notes.append(f"{backend}: skipped (give --database-url, an empty database)")
                say(bench.notes[-1])
                continue
            bench.backend(backend, url, bench.folder / backend)
    finally:
        bench.processes.stop_all()
        shutil.rmtree(bench.folder, ignore_errors=True)
    setting = Setting(
        stations=args.stations,
        rate=args.rate,
        seconds=args.seconds,
        concurrency=args.concurrency,
        runs=args.runs,
        workers=args.workers,
        clients=args.clients,
        idle_seconds=args.idle_seconds,
    )
    sys.stdout.write(report(setting, bench.rows, bench.footprints, bench.notes))
    return {"rows": bench.rows, "agents": bench.footprints, "notes": bench.notes}


if __name__ == "__main__":
    run_script(main, say, "every process stopped, the temporary folder removed")
