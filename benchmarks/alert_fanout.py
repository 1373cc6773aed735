"""Alert fan-out benchmark: an emergency alert from `POST /api/v1/alerts` to the "received"
acknowledgement of every connected agent, beside the floor of WebSocket fan-out in Python
on the same machine, and to "started" on one real agent playing through VLC.

Setup (not measured): its own database (SQLite in a temporary folder, or a new PostgreSQL
database made through --database-url and dropped afterwards) holding `--agents` enrolled
stations in one commune with their playlists built (benchmarks/agent_load_setup.py), one
more for the real agent, approved audio for each alert (a 3 s tone, a new file each time,
so the real agent fetches it as it would a new bulletin) and a user holding operator and
approver rights, who issues alerts at once (issue_now).

Loaxa phase: the real server (uvicorn on api:create_app, scheduler enabled); the real agent
(`loaxa agent --capture-dir`, VLC writing WAV files) synced and connected; the simulated
agents (benchmarks/alert_fanout_client.py, spread over --client-procs processes) each
holding a WebSocket on /agent/v1/events, all connected before anything is sent. Each run:
t0 just before the POST; each simulated agent notes time.time() when the push arrives and
acks "received" at once; the database is watched until it holds every "received" (acks are
written every 0.25 s); GET /api/v1/alerts/{id} gives the real agent's received and started
times (its own clock's, as it acked them). A Cancel ends each alert before the next run.
`--warmup` alerts go first (a fresh server process's first alert runs cold paths); they are
shown but not in the medians.

Bare phase: benchmarks/alert_fanout_bare.py under the same uvicorn settings, the same
client processes and tokens; each run POSTs Loaxa's push text (with a fresh alert id) to
/fanout, which sends it to every connection.

Targets: 1,000 agents all received within 300 ms at p99; 10,000 all within 1 s; playback
started within 500 ms of receipt.

    .venv/bin/python -m benchmarks.alert_fanout --agents 1000 --runs 3
    .venv/bin/python -m benchmarks.alert_fanout --agents 10000 --runs 1
    .venv/bin/python -m benchmarks.alert_fanout --backend postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m benchmarks.alert_fanout --agents 20 --runs 1   # tiny
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.agent_load_procs import Processes, Server, clean_env, start_server
from benchmarks.alert_fanout_client import raise_nofile
from benchmarks.alert_fanout_procs import Clients, RealAgent
from benchmarks.alert_fanout_report import Run, Setting, report
from benchmarks.alert_fanout_runs import Sent, cancel, send_alert, send_bare
from benchmarks.alert_fanout_setup import Stage, own_database, prepare
from core.db import Database
from stations.agent.credentials import Credentials
from stations.protocol import EVENTS_PATH

HTTP_TIMEOUT_S = 120.0
SETTLE_S = 2.0  # between runs: the Cancel pushed, the real agent stopped, acks written
WORKERS = 1  # the event hub lives in one process: the alert reaches the agents it holds


def say(message: str) -> None:
    sys.stderr.write(f"[alert_fanout {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.processes = Processes(folder)
        self.notes: list[str] = []
        self.runs: dict[str, list[Run]] = {"loaxa": [], "bare": []}
        self.sample: str | None = None

    def _clients(self, name: str, server: Server, tokens: list[str]) -> Clients:
        url = f"ws://127.0.0.1:{server.port}{EVENTS_PATH}"
        say(f"{name}: connecting {len(tokens)} simulated agents")
        clients = Clients(self.folder, name, url, tokens, self.args.client_procs)
        began = time.monotonic()
        try:
            ready, errors = clients.ready(120 + len(tokens) / 20)
        except Exception:
            clients.stop()
            raise
        say(f"{name}: {ready} connected in {time.monotonic() - began:.1f} s")
        if ready < len(tokens):
            self.notes.append(f"{name}: only {ready}/{len(tokens)} connected: {errors[:3]}")
            say(self.notes[-1])
        return clients

    def loaxa(self, url: str, stage: Stage) -> None:
        env = {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(self.folder / "data"),
            "LOAXA_SCHEDULER_ENABLED": "true",
        }
        say("loaxa: starting the server")
        server = start_server(
            self.processes,
            "loaxa",
            "api:create_app",
            workers=WORKERS,
            factory=True,
            env=clean_env(env),
            ready_path="/readyz",
        )
        agent = self._real_agent(server, stage)
        clients = self._clients("loaxa", server, [s.token for s in stage.stations])
        database = Database(url)
        try:
            with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_S) as http:
                http.headers["Authorization"] = f"Bearer {_login(http, stage)}"
                for index, number in enumerate(range(1 - self.args.warmup, self.args.runs + 1)):
                    say(f"loaxa: {_label(number, self.args)}")
                    content_id = stage.content_ids[index]
                    sent = send_alert(http, clients, database, stage, agent, content_id)
                    sent.run.warmup = number < 1
                    self._noted(sent)
                    cancel(http, stage, sent.identifier)
                    time.sleep(SETTLE_S)
                    clients.reset(60)
        finally:
            database.dispose()
            clients.stop()
            if agent is not None:
                self.processes.stop(agent.process)
            self.processes.stop(server.process)

    def _noted(self, sent: Sent) -> None:
        run = sent.run
        say(
            f"loaxa: {run.received}/{run.agents} received, p50 {run.p50_ms:.1f} ms, p99 "
            f"{run.p99_ms:.1f} ms, max {run.max_ms:.1f} ms, POST {run.post_ms:.1f} ms, all "
            f"stored {run.stored_ms:.1f} ms; real agent started {run.real_gap_ms:.1f} ms after "
            "receipt"
        )
        self.runs["loaxa"].append(run)
        self.sample = self.sample or sent.sample
        for note in sent.notes:
            self.notes.append(note)
            say(note)

    def _real_agent(self, server: Server, stage: Stage) -> RealAgent | None:
        if stage.real is None:
            return None
        say("loaxa: the real agent: syncing its manifest and files")
        credentials = Credentials(stage.real.station_id, stage.real.token)
        agent = RealAgent(self.processes, server.base, credentials)
        try:
            agent.wait_synced()
        except RuntimeError as exc:
            self.notes.append(f"real agent: not measured: {exc}")
            say(self.notes[-1])
            self.processes.stop(agent.process)
            return None
        return agent

    def bare(self, stage: Stage) -> None:
        if self.sample is None:
            self.notes.append("bare: skipped (no push text from loaxa to send)")
            return
        say("bare: starting the baseline")
        server = start_server(
            self.processes,
            "bare",
            "benchmarks.alert_fanout_bare:app",
            workers=WORKERS,
            factory=False,
            env=clean_env({}),
            ready_path="/readyz",
        )
        clients = self._clients("bare", server, [s.token for s in stage.stations])
        try:
            with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_S) as http:
                for number in range(1 - self.args.warmup, self.args.runs + 1):
                    time.sleep(SETTLE_S)
                    run = send_bare(http, clients, len(stage.stations), self.sample, number)
                    run.warmup = number < 1
                    say(
                        f"bare: {_label(number, self.args)}: {run.received}/{run.agents} "
                        f"received, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, max "
                        f"{run.max_ms:.1f} ms"
                    )
                    self.runs["bare"].append(run)
        finally:
            clients.stop()
            self.processes.stop(server.process)


def _label(number: int, args: argparse.Namespace) -> str:
    return f"run {number}/{args.runs}" if number > 0 else f"warm-up {number + args.warmup}"


def _login(http: httpx.Client, stage: Stage) -> str:
    answer = http.post(
        "/api/v1/auth/login", json={"username": stage.username, "password": stage.password}
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


@contextmanager
def _database(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    if args.backend == "sqlite":
        yield f"sqlite:///{folder / 'loaxa.db'}"
    else:
        with own_database(args.database_url, say) as url:
            yield url


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join((__doc__ or "").splitlines()[1:]),
    )
    parser.add_argument("--agents", type=int, default=1000, help="simulated agents")
    parser.add_argument("--runs", type=int, default=3, help="alerts per server (median)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="alerts first, per server, not in the medians"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL: a server's database to connect to; the benchmark creates its own "
        "database beside it and drops it afterwards",
    )
    parser.add_argument(
        "--client-procs", type=int, default=2, help="processes for the simulated agents"
    )
    parser.add_argument("--no-real-agent", action="store_true", help="no agent with VLC")
    args = parser.parse_args(argv)
    if args.backend == "postgresql" and not (args.database_url or "").startswith("postgresql"):
        parser.error("--backend postgresql needs --database-url postgresql+psycopg://…")
    for name in ("agents", "runs", "client_procs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    raise_nofile()  # the servers and clients inherit it
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="loaxa-bench-fanout-")))
    try:
        with _database(args, bench.folder) as url:
            data_dir = bench.folder / "data"
            data_dir.mkdir()
            say(f"setting up {args.agents} stations on {args.backend}")
            stage = prepare(
                url,
                data_dir,
                args.agents,
                alerts=args.warmup + args.runs,
                real_agent=not args.no_real_agent,
                say=say,
            )
            bench.loaxa(url, stage)
        bench.bare(stage)
    finally:
        bench.processes.stop_all()
        shutil.rmtree(bench.folder, ignore_errors=True)
    setting = Setting(
        agents=args.agents,
        runs=args.runs,
        warmup=args.warmup,
        backend=args.backend,
        client_procs=min(args.client_procs, args.agents),
        real_agent=not args.no_real_agent,
    )
    sys.stdout.write(report(setting, bench.runs, bench.notes))
    return {"runs": bench.runs, "notes": bench.notes}


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the cleanup in main's finally


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except KeyboardInterrupt:
        say("interrupted: every process stopped, the temporary folder removed")
        sys.exit(130)
