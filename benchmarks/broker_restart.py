"""Broker restart benchmark: `--agents` simulated agents over MQTT with persistent sessions,
the broker stopped (SIGTERM: it saves its persistence) and started again, and an alert
published while it is down; how long until every agent is back and until every agent has
the alert, and whether any is lost. Through the real server (POST /api/v1/alerts during the
downtime: its MQTT client keeps the publish until it is connected again) and through the
bare floor (one paho publisher, the same subscribers, no server), one after the other in
the same run on the same broker and agents.

Setup (not measured): the alert fan-out benchmark's (benchmarks/alert_fanout_setup.py: its
own database, the stations in one commune, approved audio, an issuer), a Mosquitto of its
own from the repository's template with every station's credentials and roles
(benchmarks/mqtt_broker.py), and the simulated agents (benchmarks/mqtt_agents.py, paho,
spread over --client-procs processes): persistent sessions (clean start off, the server's
session expiry), subscribed at QoS 1 to the topics of their manifest's push block, acking
"received" at QoS 1, and coming back after a lost connection with the agent's own
jittered backoff (stations/agent/backoff.py, the agent's 1 s initial and 300 s maximum),
without subscribing again when the broker kept their session.

Each restart: SIGTERM to the broker (t_stop) and wait for it to exit; the alert published
(loaxa: the POST; bare: the publisher's publish, QoS 1, kept by paho until it is back);
`--down-s` after t_stop the broker is started again and listens (t_up); then every agent's
return (its CONNACK) and its receipt of the alert (time.time() on arrival) are timed from
t_up, and the server's database is watched until it holds every "received". Lost: agents
without the alert after --timeout-s; lost sessions: returns the broker had no session for.
The server's MQTT client comes back by paho's own reconnect (MqttPush: 1 s, doubling to
30 s, no jitter); the bare publisher's tries every second.

    .venv/bin/python -m benchmarks.broker_restart --agents 10000 --client-procs 4
    .venv/bin/python -m benchmarks.broker_restart --agents 20 --down-s 1   # tiny
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from benchmarks.agent_load_procs import Processes, clean_env, start_server
from benchmarks.alert_fanout_client import raise_nofile
from benchmarks.alert_fanout_procs import Clients, Watch
from benchmarks.alert_fanout_report import percentile
from benchmarks.alert_fanout_runs import EXPIRES, STORED_POLL_S, _all_received, cancel
from benchmarks.alert_fanout_setup import Stage, bench_database, prepare
from benchmarks.machine import describe, doc_parser, load, run_script
from benchmarks.mqtt_broker import Broker, MqttAgent, Publisher, enrol_all, mqtt_clients
from core.db import Database
from stations.fleet.mqtt import topics

HTTP_TIMEOUT_S = 120.0
LEAD_S = 2.0  # for the scheduler's first tick to choose the leader, who publishes
SETTLE_S = 2.0
PUBLISHER_RECONNECT = (1, 1)  # the bare floor's: every second
ALERT_TEXT = {
    "type": "alert",
    "msg_type": "Alert",
    "note": "the bare floor's stand-in when no Loaxa alert was sent first",
}


def say(message: str) -> None:
    sys.stderr.write(f"[broker_restart {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


@dataclass(slots=True)
class Restart:
    publisher: str  # loaxa | bare
    agents: int
    stop_ms: float  # SIGTERM until the broker exited (its persistence saved)
    up_ms: float  # started again until it listened
    down_ms: float  # SIGTERM until it listened again
    back_p50_ms: float  # from listening, each agent's return
    back_max_ms: float
    received: int
    received_p50_ms: float  # from listening, each agent's receipt of the alert
    received_max_ms: float
    stored_ms: float = math.nan  # from listening, until every "received" was stored (loaxa)
    lost: int = 0  # agents without the alert at the end
    lost_sessions: int = 0
    failed_attempts: int = 0  # connection attempts refused while it was down
    down_at_end: int = 0  # agents not connected at the end


def _median(values: list[float]) -> float:
    found = [v for v in values if not math.isnan(v)]
    return statistics.median(found) if found else math.nan


def median_of(runs: list[Restart]) -> Restart:
    merged = replace(runs[0])
    for item in fields(Restart):
        values = [getattr(r, item.name) for r in runs]
        if item.type == "float":
            setattr(merged, item.name, _median(values))
        elif item.type == "int" and item.name != "agents":
            # received: the fewest; lost and the counts: the most
            setattr(merged, item.name, min(values) if item.name == "received" else max(values))
    return merged


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.processes = Processes(folder)
        self.notes: list[str] = []
        self.runs: dict[str, list[Restart]] = {}
        self.sample: str | None = None

    def clients(self, broker: Broker, agents: list[MqttAgent]) -> Clients:
        say(f"connecting {len(agents)} simulated agents over MQTT")
        clients = mqtt_clients(self.folder, "agents", broker, agents, self.args.client_procs)
        began = time.monotonic()
        try:
            ready, errors = clients.ready(120 + len(agents) / 20)
        except Exception:
            clients.stop()
            raise
        say(f"{ready} connected and subscribed in {time.monotonic() - began:.1f} s")
        if ready < len(agents):
            self.notes.append(f"only {ready}/{len(agents)} connected: {errors[:3]}")
            say(self.notes[-1])
        return clients

    def restart(
        self,
        name: str,
        broker: Broker,
        clients: Clients,
        agents: int,
        publish: Callable[[], str],
        stored: Callable[[str], Watch] | None = None,
    ) -> Restart:
        """One restart with one alert published while the broker is down; `publish`
        sends it and returns its alert id (the id is known only then for loaxa: the
        agents are told to collect it right after)."""
        clients.reset(60)
        t_stop = time.monotonic()
        stop_s = broker.stop()
        identifier = publish()
        timeout = self.args.timeout_s
        clients.ask({"cmd": "collect", "alert_id": identifier, "timeout_s": timeout, "back": True})
        watch = stored(identifier) if stored is not None else None
        time.sleep(max(0.0, t_stop + self.args.down_s - time.monotonic()))
        t_start = time.monotonic()
        up_s = broker.start()
        t_up = time.time()
        down_s = time.monotonic() - t_stop
        collected = clients.collected(timeout + 30)
        back = sorted((at - t_up) * 1000 for at in collected["back"])
        arrivals = sorted((at - t_up) * 1000 for at in collected["arrivals"])
        run = Restart(
            publisher=name,
            agents=agents,
            stop_ms=stop_s * 1000,
            up_ms=up_s * 1000,
            down_ms=down_s * 1000,
            back_p50_ms=percentile(back, 0.5),
            back_max_ms=back[-1] if back else math.nan,
            received=len(arrivals),
            received_p50_ms=percentile(arrivals, 0.5),
            received_max_ms=arrivals[-1] if arrivals else math.nan,
            lost=agents - len(arrivals),
            lost_sessions=collected["lost_sessions"],
            failed_attempts=collected["attempts"],
            down_at_end=collected["down"],
        )
        if watch is not None:
            at = watch.result()
            run.stored_ms = (at - t_up) * 1000 if at is not None else math.nan
            if watch.error:
                self.notes.append(f"{name}: stored-all watch: {watch.error}")
        if len(back) < agents:
            self.notes.append(f"{name}: {len(back)}/{agents} returns seen (the others never left?)")
        say(
            f"{name}: broker stopped in {run.stop_ms:.0f} ms, up again in {run.up_ms:.0f} ms "
            f"(t_start {t_start - t_stop:.1f} s after the stop); from then all back in "
            f"{run.back_max_ms:.0f} ms (p50 {run.back_p50_ms:.0f}), {run.received}/{agents} "
            f"received in {run.received_max_ms:.0f} ms (p50 {run.received_p50_ms:.0f}), stored "
            f"{run.stored_ms:.0f} ms; lost {run.lost}, lost sessions {run.lost_sessions}"
        )
        if self.sample is None and collected["sample"]:
            self.sample = collected["sample"]
        return run

    def loaxa(self, url: str, stage: Stage, broker: Broker, clients: Clients) -> None:
        self.runs["loaxa"] = []
        env = {
            "LOAXA_DATABASE_URL": url,
            "LOAXA_DATA_DIR": str(self.folder / "data"),
            "LOAXA_SCHEDULER_ENABLED": "true",
            **broker.settings(),
        }
        say(f"loaxa: starting the server ({self.args.server_workers} process(es))")
        server = start_server(
            self.processes,
            "loaxa",
            "api:create_app",
            workers=self.args.server_workers,
            factory=True,
            env=clean_env(env),
            ready_path="/readyz",
        )
        time.sleep(LEAD_S)
        database = Database(url)
        expected = len(stage.stations)
        try:
            with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_S) as http:
                http.headers["Authorization"] = f"Bearer {_login(http, stage)}"
                for number in range(self.args.runs):
                    say(f"loaxa: restart {number + 1}/{self.args.runs}")
                    content_id = stage.content_ids[number]
                    sent: list[str] = []

                    def publish(content_id: int = content_id, sent: list[str] = sent) -> str:
                        sent.append(_post_alert(http, stage, content_id))
                        return sent[-1]

                    def stored(identifier: str) -> Watch:
                        check = partial(_all_received, database, identifier, expected)
                        return Watch(check, STORED_POLL_S, self.args.timeout_s + 30)

                    run = self.restart("loaxa", broker, clients, expected, publish, stored)
                    self.runs["loaxa"].append(run)
                    time.sleep(SETTLE_S)
                    cancel(http, stage, sent[-1])
                    time.sleep(SETTLE_S)
        finally:
            database.dispose()
            self.processes.stop(server.process)

    def bare(self, stage: Stage, broker: Broker, clients: Clients) -> None:
        self.runs["bare"] = []
        publisher = Publisher(broker, reconnect=PUBLISHER_RECONNECT)
        topic = topics.area_events(stage.commune_id)
        expiry = int(EXPIRES.total_seconds())
        try:
            for number in range(self.args.runs):
                say(f"bare: restart {number + 1}/{self.args.runs}")

                def publish(number: int = number) -> str:
                    identifier, text = _bare_text(self.sample, number)
                    publisher.publish(topic, text, expiry)
                    return identifier

                run = self.restart("bare", broker, clients, len(stage.stations), publish)
                self.runs["bare"].append(run)
                time.sleep(SETTLE_S)
        finally:
            publisher.stop()


def _bare_text(sample: str | None, number: int) -> tuple[str, str]:
    event = json.loads(sample) if sample else dict(ALERT_TEXT, alert={"headline": "thử"})
    event["alert_id"] = identifier = f"bare-restart-{number}-{secrets.token_hex(4)}"
    return identifier, json.dumps(event)


def _post_alert(http: httpx.Client, stage: Stage, content_id: int) -> str:
    identifier = f"bench-restart-{secrets.token_hex(6)}"
    body = {
        "identifier": identifier,
        "area_id": stage.commune_id,
        "target_area_ids": [stage.commune_id],
        "event": "Bão",
        "headline": "Bão số 3 đổ bộ: di chuyển đến nơi an toàn (thử)",
        "content_id": content_id,
        "expires": (datetime.now(UTC) + EXPIRES).isoformat(),
        "issue_now": True,
    }
    answer = http.post("/api/v1/alerts", json=body)
    if answer.status_code != 201:
        raise RuntimeError(f"POST /api/v1/alerts: {answer.status_code} {answer.text[:500]}")
    return identifier


def _login(http: httpx.Client, stage: Stage) -> str:
    answer = http.post(
        "/api/v1/auth/login", json={"username": stage.username, "password": stage.password}
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def report(args: argparse.Namespace, runs: dict[str, list[Restart]], notes: list[str]) -> str:
    lines = [
        f"broker restart benchmark: {args.agents} simulated agents (paho, persistent sessions, "
        f"the agent's jittered backoff) in one commune, {min(args.client_procs, args.agents)} "
        f"client process(es), {args.backend}, server {args.server_workers} process(es); the "
        f"broker down {args.down_s:g} s (SIGTERM to listening again) with one alert published "
        f"meanwhile; median of {args.runs} restart(s) per publisher",
        "publishers: loaxa = POST /api/v1/alerts during the downtime (the server's MqttPush "
        "keeps it until paho reconnects: 1 s doubling to 30 s); bare = one paho publisher "
        "(QoS 1, kept until it reconnects, every second), no server",
        "times in ms from the broker listening again: back = each agent's return (CONNACK); "
        "received = each agent's receipt of the alert; stored = every 'received' in the "
        "server's database",
        describe(),
        *notes,
        "",
        f"{'publisher':<9} {'run':>4} {'stop ms':>8} {'up ms':>6} {'down ms':>8} "
        f"{'back p50':>9} {'back max':>9} {'received':>11} {'recv p50':>9} {'recv max':>9} "
        f"{'stored':>7} {'lost':>5} {'lost sess':>9} {'refused':>8}",
    ]
    medians: dict[str, Restart] = {}
    for name, found in runs.items():
        if not found:
            continue
        medians[name] = median_of(found)
        numbered = [(str(n), r) for n, r in enumerate(found, 1)] if len(found) > 1 else []
        for label, run in [*numbered, ("med", medians[name])]:
            lines.append(
                f"{name:<9} {label:>4} {_ms(run.stop_ms):>8} {_ms(run.up_ms):>6} "
                f"{_ms(run.down_ms):>8} {_ms(run.back_p50_ms):>9} {_ms(run.back_max_ms):>9} "
                f"{f'{run.received}/{run.agents}':>11} {_ms(run.received_p50_ms):>9} "
                f"{_ms(run.received_max_ms):>9} {_ms(run.stored_ms):>7} {run.lost:>5} "
                f"{run.lost_sessions:>9} {run.failed_attempts:>8}"
            )
    lines += ["", "refused: connection attempts that failed while the broker was down"]
    for name, run in medians.items():
        ok = run.lost == 0 and run.lost_sessions == 0 and run.received == run.agents
        lines.append(
            f"target (issue 18), {name}: an alert issued during the restart reaches all "
            f"{run.agents}, none lost: all back {_ms(run.back_max_ms)} ms and all received "
            f"{_ms(run.received_max_ms)} ms after the broker listened again, {run.lost} lost, "
            f"{run.lost_sessions} sessions lost: {'met' if ok else 'MISSED'}"
        )
    return "\n".join(lines) + "\n"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--agents", type=int, default=10000, help="simulated agents")
    parser.add_argument("--runs", type=int, default=1, help="restarts per publisher (median)")
    parser.add_argument("--down-s", type=float, default=5.0, help="SIGTERM to start again")
    parser.add_argument(
        "--timeout-s", type=float, default=300.0, help="for every agent to be back with it"
    )
    parser.add_argument("--publisher", choices=("loaxa", "bare", "both"), default="both")
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
    parser.add_argument(
        "--server-workers", type=int, default=1, help="Loaxa's processes (PostgreSQL only)"
    )
    args = parser.parse_args(argv)
    if args.backend == "postgresql" and not (args.database_url or "").startswith("postgresql"):
        parser.error("--backend postgresql needs --database-url postgresql+psycopg://…")
    if args.server_workers > 1 and args.backend != "postgresql":
        parser.error("--server-workers above 1 needs --backend postgresql")
    for name in ("agents", "runs", "client_procs", "server_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse(argv)
    raise_nofile()  # the broker and the clients inherit it
    bench = Bench(args, Path(tempfile.mkdtemp(prefix="loaxa-bench-restart-")))
    loads = [f"before the run: {load()}"]  # printed, not returned among the notes
    publishers = ["loaxa", "bare"] if args.publisher == "both" else [args.publisher]
    broker: Broker | None = None
    clients: Clients | None = None
    try:
        with bench_database(args.backend, args.database_url, bench.folder, say) as url:
            data_dir = bench.folder / "data"
            data_dir.mkdir()
            say(f"setting up {args.agents} stations on {args.backend}")
            stage = prepare(url, data_dir, args.agents, alerts=args.runs, real_agent=False, say=say)
            broker = Broker(bench.folder / "mqtt")
            say("their credentials on the broker")
            agents = enrol_all(broker, url, [s.station_id for s in stage.stations])
            broker.start()
            clients = bench.clients(broker, agents)
            if "loaxa" in publishers:
                bench.loaxa(url, stage, broker, clients)
            if "bare" in publishers:
                bench.bare(stage, broker, clients)
            bench.notes.append(f"broker resident {broker.rss_mb():.0f} MB at the end")
    finally:
        if clients is not None:
            clients.stop()
        if broker is not None:
            broker.stop()
        bench.processes.stop_all()
        shutil.rmtree(bench.folder, ignore_errors=True)
    loads.append(f"after the run: {load()}")
    sys.stdout.write(report(args, bench.runs, [*loads, *bench.notes]))
    return {"runs": bench.runs, "notes": bench.notes}


if __name__ == "__main__":
    run_script(main, say, "every process stopped, the temporary folder removed")
