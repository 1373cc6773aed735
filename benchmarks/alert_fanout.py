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

MQTT phase (`--transport mqtt`, or `both` after the WebSocket one): a Mosquitto of its own on
a free loopback port from the repository's template (benchmarks/mqtt_broker.py), holding
every simulated station's own credentials and roles as the server's grant makes them
(written into the dynamic security plugin's file before it starts: granting them one by
one through the control topic takes hours at 10,000, see the report's note); the server
with LOAXA_PUSH_TRANSPORT=mqtt; the real agent asking for its own credentials as usual; the
simulated agents as paho-mqtt clients (benchmarks/mqtt_agents.py, --client-procs
processes) with persistent sessions, subscribed to the topics of their manifest's push
block, acking "received" at QoS 1 on their acks topic. The same runs as above, then the
bare MQTT floor with the server stopped: one paho publisher publishes Loaxa's alert text
(with a fresh alert id) once, at QoS 1 with the server's message expiry, on the commune's
area topic, to the same subscribers.

`--server-workers N` (PostgreSQL): Loaxa as N uvicorn processes; the scheduler's leader
publishes over MQTT, and every process pushes to the WebSocket agents it holds. The bare
WebSocket baseline stays one process (its connections live in one).

Targets: 1,000 agents all received within 300 ms at p99; 10,000 all within 1 s; playback
started within 500 ms of receipt. Issue 18 (national scale): 1,000 agents p99 within 100
ms, 10,000 all within 0.7 s, reported for each transport beside its bare floor.

    .venv/bin/python -m benchmarks.alert_fanout --agents 1000 --runs 3
    .venv/bin/python -m benchmarks.alert_fanout --agents 10000 --runs 1
    .venv/bin/python -m benchmarks.alert_fanout --backend postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m benchmarks.alert_fanout --agents 20 --runs 1   # tiny
    .venv/bin/python -m benchmarks.alert_fanout --agents 10000 --runs 3 --transport both \
        --client-procs 4 --backend postgresql --server-workers 2 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from benchmarks.agent_load_procs import Processes, Server, clean_env, start_server
from benchmarks.alert_fanout_client import raise_nofile
from benchmarks.alert_fanout_procs import Clients, RealAgent
from benchmarks.alert_fanout_report import Run, Setting, report, run_of
from benchmarks.alert_fanout_runs import (
    EXPIRES,
    Sent,
    bare_message,
    cancel,
    collect_timeout,
    send_alert,
    send_bare,
)
from benchmarks.alert_fanout_setup import Stage, bench_database, prepare
from benchmarks.machine import doc_parser, load, run_script, tree_cpu_s
from benchmarks.mqtt_broker import Broker, MqttAgent, enrol_all, mqtt_clients, probe_grant
from benchmarks.mqtt_broker import Publisher as MqttPublisher
from core.db import Database
from stations.agent.credentials import Credentials
from stations.fleet.mqtt import topics
from stations.protocol import EVENTS_PATH

HTTP_TIMEOUT_S = 120.0
SETTLE_S = 2.0  # between runs: the Cancel pushed, the real agent stopped, acks written
SETTLE_PER_AGENT_S = 0.0005  # more at 10,000: the Cancel was still arriving 2 s later (MQTT)

BARE_WORKERS = 1  # the baseline's connections live in one process: POST /fanout reaches them
LEAD_S = 2.0  # for the scheduler's first tick to choose its leader, who publishes over MQTT


def settle(agents: int) -> None:
    time.sleep(max(SETTLE_S, agents * SETTLE_PER_AGENT_S))


def say(message: str) -> None:
    sys.stderr.write(f"[alert_fanout {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.processes = Processes(folder)
        self.notes: list[str] = []
        self.runs: dict[str, list[Run]] = {}
        self.samples: dict[str, str] = {}  # per transport: the push's text as an agent got it
        self.alerts_sent = 0

    def _ready(self, name: str, clients: Clients, count: int) -> Clients:
        began = time.monotonic()
        try:
            ready, errors = clients.ready(120 + count / 20)
        except Exception:
            clients.stop()
            raise
        say(f"{name}: {ready} connected in {time.monotonic() - began:.1f} s")
        if ready < count:
            self.notes.append(f"{name}: only {ready}/{count} connected: {errors[:3]}")
            say(self.notes[-1])
        return clients

    def _mqtt_clients(self, name: str, broker: Broker, agents: list[MqttAgent]) -> Clients:
        say(f"{name}: connecting {len(agents)} simulated agents over MQTT")
        clients = mqtt_clients(self.folder, name, broker, agents, self.args.client_procs)
        return self._ready(name, clients, len(agents))

    def _clients(self, name: str, server: Server, tokens: list[str]) -> Clients:
        url = f"ws://127.0.0.1:{server.port}{EVENTS_PATH}"
        say(f"{name}: connecting {len(tokens)} simulated agents")
        clients = Clients.websocket(self.folder, name, url, tokens, self.args.client_procs)
        return self._ready(name, clients, len(tokens))

    def loaxa(
        self, url: str, stage: Stage, broker: Broker | None = None, agents: Sequence[MqttAgent] = ()
    ) -> Clients | None:
        """The real server's runs, over the WebSocket channel or (with a broker) MQTT; over
        MQTT the simulated agents are handed back connected, for the bare floor."""
        name = "loaxa" if broker is None else "loaxa-mqtt"
        self.runs[name] = []
        env = {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(self.folder / "data"),
            "LOAXA_SCHEDULER_ENABLED": "true",
            **(broker.settings() if broker is not None else {}),
        }
        say(f"{name}: starting the server ({self.args.server_workers} process(es))")
        server = start_server(
            self.processes,
            name,
            "api:create_app",
            workers=self.args.server_workers,
            factory=True,
            env=clean_env(env),
            ready_path="/readyz",
        )
        began = time.monotonic()
        agent = self._real_agent(name, server, stage)
        if broker is None:
            clients = self._clients(name, server, [s.token for s in stage.stations])
        else:
            clients = self._mqtt_clients(name, broker, list(agents))
        time.sleep(max(0.0, LEAD_S - (time.monotonic() - began)))
        database = Database(url)
        handed = False
        try:
            with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_S) as http:
                http.headers["Authorization"] = f"Bearer {_login(http, stage)}"
                for number in range(1 - self.args.warmup, self.args.runs + 1):
                    say(f"{name}: {_label(number, self.args)}")
                    content_id = stage.content_ids[self.alerts_sent]
                    self.alerts_sent += 1
                    cpu = broker.cpu_s() if broker is not None else math.nan
                    server_cpu = tree_cpu_s(server.process.pid)
                    sent = send_alert(http, clients, database, stage, agent, content_id)
                    sent.run.server_cpu_ms = (tree_cpu_s(server.process.pid) - server_cpu) * 1000
                    if broker is not None:
                        sent.run.broker_cpu_ms = (broker.cpu_s() - cpu) * 1000
                    sent.run.server = name
                    sent.run.warmup = number < 1
                    self._noted(name, sent, "websocket" if broker is None else "mqtt")
                    cancel(http, stage, sent.identifier)
                    settle(len(stage.stations))
                    clients.reset(60)
            handed = broker is not None
            return clients if handed else None
        finally:
            database.dispose()
            if not handed:
                clients.stop()
            if agent is not None:
                self.processes.stop(agent.process)
            self.processes.stop(server.process)

    def _noted(self, name: str, sent: Sent, transport: str) -> None:
        run = sent.run
        say(
            f"{name}: {run.received}/{run.agents} received, p50 {run.p50_ms:.1f} ms, p99 "
            f"{run.p99_ms:.1f} ms, max {run.max_ms:.1f} ms, POST {run.post_ms:.1f} ms, all "
            f"stored {run.stored_ms:.1f} ms; real agent started {run.real_gap_ms:.1f} ms after "
            "receipt"
        )
        self.runs[name].append(run)
        if sent.sample and transport not in self.samples:
            self.samples[transport] = sent.sample
        for note in sent.notes:
            self.notes.append(note)
            say(note)

    def _real_agent(self, name: str, server: Server, stage: Stage) -> RealAgent | None:
        if stage.real is None:
            return None
        say(f"{name}: the real agent: syncing its manifest and files")
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
        sample = self.samples.get("websocket")
        if sample is None:
            self.notes.append("bare: skipped (no push text from loaxa to send)")
            return
        self.runs["bare"] = []
        say("bare: starting the baseline")
        server = start_server(
            self.processes,
            "bare",
            "benchmarks.alert_fanout_bare:app",
            workers=BARE_WORKERS,
            factory=False,
            env=clean_env({}),
            ready_path="/readyz",
        )
        clients = self._clients("bare", server, [s.token for s in stage.stations])
        try:
            with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_S) as http:
                for number in range(1 - self.args.warmup, self.args.runs + 1):
                    settle(len(stage.stations))
                    run = send_bare(http, clients, len(stage.stations), sample, number)
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

    def mqtt(self, url: str, stage: Stage) -> None:
        """Over MQTT: a broker of its own, the server's runs, then the bare floor (one paho
        publisher, the same subscribers, no server)."""
        broker = Broker(self.folder / "mqtt")
        ids = [s.station_id for s in stage.stations]
        say(f"mqtt: {len(ids)} stations' credentials on the broker")
        agents = enrol_all(broker, url, ids)
        broker.start()
        try:
            grant_s = probe_grant(broker, max(ids) + 1000, agents[0].areas)
            self.notes.append(
                f"mqtt: one station's grant through the control topic (as at enrolment) took "
                f"{grant_s * 1000:.0f} ms with {len(agents)} stations on the broker"
            )
            say(self.notes[-1])
            clients = self.loaxa(url, stage, broker, agents)
            assert clients is not None
            try:
                self._mqtt_bare(broker, clients, stage)
            finally:
                clients.stop()
            self.notes.append(f"mqtt: broker resident {broker.rss_mb():.0f} MB at the end")
        finally:
            broker.stop()

    def _mqtt_bare(self, broker: Broker, clients: Clients, stage: Stage) -> None:
        sample = self.samples.get("mqtt")
        if sample is None:
            self.notes.append("bare-mqtt: skipped (no push text from loaxa to send)")
            return
        self.runs["bare-mqtt"] = []
        publisher = MqttPublisher(broker)
        topic = topics.area_events(stage.commune_id)
        try:
            for number in range(1 - self.args.warmup, self.args.runs + 1):
                settle(len(stage.stations))
                identifier, message = bare_message(sample, number)
                timeout = collect_timeout(len(stage.stations))
                clients.ask({"cmd": "collect", "alert_id": identifier, "timeout_s": timeout})
                cpu = broker.cpu_s()
                t0 = time.time()
                publisher.publish(topic, message, int(EXPIRES.total_seconds()))
                collected = clients.collected(timeout + 30)
                run = run_of("bare-mqtt", len(stage.stations), t0, collected["arrivals"], 0.0)
                run.broker_cpu_ms = (broker.cpu_s() - cpu) * 1000
                run.clients_cpu_ms = collected["cpu_s"] * 1000
                run.others = collected["others"]
                run.warmup = number < 1
                say(
                    f"bare-mqtt: {_label(number, self.args)}: {run.received}/{run.agents} "
                    f"received, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, max "
                    f"{run.max_ms:.1f} ms, broker CPU {run.broker_cpu_ms:.0f} ms"
                )
                self.runs["bare-mqtt"].append(run)
                clients.reset(60)
        finally:
            publisher.stop()


def _label(number: int, args: argparse.Namespace) -> str:
    return f"run {number}/{args.runs}" if number > 0 else f"warm-up {number + args.warmup}"


def _login(http: httpx.Client, stage: Stage) -> str:
    answer = http.post(
        "/api/v1/auth/login", json={"username": stage.username, "password": stage.password}
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
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
    parser.add_argument(
        "--transport",
        choices=("websocket", "mqtt", "both"),
        default="websocket",
        help="push over the server's WebSocket channel, over MQTT through a Mosquitto of "
        "the benchmark's own, or both in one run (each beside its bare floor)",
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=1,
        help="Loaxa's server processes (uvicorn --workers; PostgreSQL only); the bare "
        "WebSocket baseline stays one process",
    )
    args = parser.parse_args(argv)
    if args.server_workers > 1 and args.backend != "postgresql":
        parser.error("--server-workers above 1 needs --backend postgresql")
    if args.backend == "postgresql" and not (args.database_url or "").startswith("postgresql"):
        parser.error("--backend postgresql needs --database-url postgresql+psycopg://…")
    for name in ("agents", "runs", "client_procs", "server_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    transports = ["websocket", "mqtt"] if args.transport == "both" else [args.transport]
    raise_nofile()  # the servers and clients inherit it
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="loaxa-bench-fanout-")))
    loads = [f"before the run: {load()}"]  # printed, not returned among the notes
    try:
        with bench_database(args.backend, args.database_url, bench.folder, say) as url:
            data_dir = bench.folder / "data"
            data_dir.mkdir()
            say(f"setting up {args.agents} stations on {args.backend}")
            stage = prepare(
                url,
                data_dir,
                args.agents,
                alerts=(args.warmup + args.runs) * len(transports),
                real_agent=not args.no_real_agent,
                say=say,
            )
            if "websocket" in transports:
                bench.loaxa(url, stage)
            if "mqtt" in transports:
                bench.mqtt(url, stage)
        if "websocket" in transports:
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
        server_workers=args.server_workers,
        transports=tuple(transports),
    )
    loads.append(f"after the run: {load()}")
    sys.stdout.write(report(setting, bench.runs, [*loads, *bench.notes]))
    return {"runs": bench.runs, "notes": bench.notes}


if __name__ == "__main__":
    run_script(main, say, "every process stopped, the temporary folder removed")
