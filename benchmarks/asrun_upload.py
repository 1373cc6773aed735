"""As-run upload benchmark: how many as-run records a second the real server stores, on
SQLite and on PostgreSQL.

The fleet of the agent load benchmark (benchmarks/agent_load_setup.py: enrolled stations,
built playlists) and the real server as its own process, scheduler on (as in production:
the report summarizer sums the days the new records touch while they arrive). Each station
fetches its manifest once; then `--concurrency` connections upload over `--seconds`, each
its next batch as soon as the last is answered (closed loop), of `--batches` new records
of the station's items of its first day (played, with their content and sha256: the
server looks up each record's snapshot). Batches of 1 are an agent's steady state (a
record as each item ends), of 100 its catch-up after a lost network. Each setting is the
median of `--runs`.

Its only imports of the server are the fleet setup and the process helpers, which are the
same back to commit 8af0037, so the file can be copied into a checkout of an older commit
and run there to compare (that is how the README's figures were taken).

    .venv/bin/python -m benchmarks.asrun_upload --backends sqlite,postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/empty_db
    .venv/bin/python -m benchmarks.asrun_upload --stations 5 --seconds 1 --runs 1   # tiny
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks.agent_load_procs import Processes, Server, clean_env, start_server
from benchmarks.agent_load_setup import Enrolled, build_fleet
from benchmarks.machine import describe, doc_parser

MANIFEST = "/agent/v1/manifest"
ASRUN = "/agent/v1/asrun"
BACKENDS = ("sqlite", "postgresql")


def say(message: str) -> None:
    sys.stderr.write(f"[asrun_upload {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(frozen=True, slots=True)
class Station:
    token: str
    items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Run:
    backend: str
    batch: int
    seconds: float
    requests: int
    records: int
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def records_s(self) -> float:
        return self.records / self.seconds


def manifests(server: Server, stations: list[Enrolled]) -> list[Station]:
    found = []
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for station in stations:
            answer = client.get(MANIFEST, headers={"Authorization": f"Bearer {station.token}"})
            answer.raise_for_status()
            manifest = answer.json()
            zone = ZoneInfo(manifest["timezone"])
            items = manifest["items"]
            if not items:
                raise RuntimeError(f"station #{station.station_id} has no items planned")
            # Today's items only, as an agent reports what it has just played.
            today = min(datetime.fromisoformat(i["start"]).astimezone(zone).date() for i in items)
            found.append(
                Station(
                    station.token,
                    [
                        i
                        for i in items
                        if datetime.fromisoformat(i["start"]).astimezone(zone).date() == today
                    ],
                )
            )
    return found


def _batch(station: Station, size: int, rng: random.Random) -> list[dict[str, Any]]:
    records = []
    for _ in range(size):
        item = rng.choice(station.items)
        start = datetime.fromisoformat(item["start"]).astimezone(UTC)
        records.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "item_id": item["id"],
                "content_id": item["content_id"],
                "sha256": item["sha256"],
                "planned_start": start.isoformat(),
                "started_at": (start + timedelta(seconds=0.4)).isoformat(),
                "ended_at": (start + timedelta(seconds=item["duration_s"])).isoformat(),
                "result": "played",
                "clock_offset_ms": 3,
            }
        )
    return records


async def _load(
    base: str, stations: list[Station], batch: int, concurrency: int, seconds: float, seed: int
) -> tuple[list[float], int, int]:
    rng = random.Random(seed)
    latencies: list[float] = []
    stored = errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal stored, errors
        while time.perf_counter() < deadline:
            station = rng.choice(stations)
            body = _batch(station, batch, rng)
            sent = time.perf_counter()
            try:
                answer = await client.post(
                    ASRUN, json=body, headers={"Authorization": f"Bearer {station.token}"}
                )
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            if answer.status_code == 200:
                stored += answer.json()["accepted"]
            else:
                errors += 1

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies, stored, errors


def measure(
    backend: str, server: Server, stations: list[Station], args: argparse.Namespace
) -> list[Run]:
    runs = []
    for batch in args.batches:
        found = []
        for number in range(args.runs):
            say(f"{backend}: batches of {batch}, run {number + 1}/{args.runs}")
            started = time.perf_counter()
            latencies, stored, errors = asyncio.run(
                _load(server.base, stations, batch, args.concurrency, args.seconds, seed=number)
            )
            elapsed = time.perf_counter() - started
            ordered = sorted(latencies) or [0.0]
            found.append(
                Run(
                    backend,
                    batch,
                    elapsed,
                    len(latencies),
                    stored,
                    errors,
                    ordered[len(ordered) // 2],
                    ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
                )
            )
        runs.append(sorted(found, key=lambda r: r.records_s)[len(found) // 2])
    return runs


def _revision() -> str:
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%h %cs"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def report(args: argparse.Namespace, runs: list[Run], notes: list[str]) -> str:
    lines = [
        f"as-run upload benchmark at {_revision()}: {args.stations} stations, "
        f"{args.concurrency} connections, {args.seconds:g} s a run, median of {args.runs}",
        describe(),
        f"{'backend':12} {'batch':>5} {'records/s':>10} {'requests/s':>11} {'p50':>9} "
        f"{'p99':>9} {'errors':>6}",
    ]
    lines += [
        f"{r.backend:12} {r.batch:5d} {r.records_s:10.0f} {r.requests / r.seconds:11.1f} "
        f"{r.p50_ms:7.1f}ms {r.p99_ms:7.1f}ms {r.errors:6d}"
        for r in runs
    ]
    return "\n".join([*lines, *notes]) + "\n"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--stations", type=int, default=300)
    parser.add_argument("--batches", default="1,100", help="records a request, comma-separated")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=None, help="an EMPTY PostgreSQL database")
    args = parser.parse_args(argv)
    args.batches = [int(b) for b in args.batches.split(",")]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(args.backends) - set(BACKENDS):
        parser.error(f"--backends: choose from {', '.join(BACKENDS)}")
    return args


def main(argv: list[str] | None = None) -> list[Run]:
    args = _parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-asrun-"))
    processes = Processes(folder)
    runs: list[Run] = []
    notes: list[str] = []
    try:
        for backend in args.backends:
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'loaxa.db'}"
            elif args.database_url:
                url = args.database_url
            else:
                notes.append("postgresql: skipped (give --database-url, an empty database)")
                continue
            data_dir = folder / backend / "data"
            data_dir.mkdir(parents=True)
            say(f"{backend}: setting up {args.stations} stations")
            fleet = build_fleet(url, data_dir, args.stations, 0, say)
            env = {
                "LOAXA_DATABASE_URL": url,
                "LOAXA_DATA_DIR": str(data_dir),
                "LOAXA_SCHEDULER_ENABLED": "true",
            }
            server = start_server(
                processes,
                f"loaxa-{backend}",
                "api:create_app",
                workers=1,
                factory=True,
                env=clean_env(env),
                ready_path="/readyz",
            )
            try:
                stations = manifests(server, fleet.stations)
                runs += measure(backend, server, stations, args)
            finally:
                processes.stop(server.process)
    finally:
        processes.stop_all()
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(report(args, runs, notes))
    return runs


if __name__ == "__main__":
    main()
