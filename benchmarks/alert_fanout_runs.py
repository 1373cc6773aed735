"""One alert through each server, measured: Loaxa (POST /api/v1/alerts, then what the
clients, the database and the real agent say) and the bare baseline (POST /fanout)."""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlmodel import col, func, select

from alerts.models import Alert, AlertDelivery
from benchmarks.alert_fanout_procs import Clients, RealAgent, Watch
from benchmarks.alert_fanout_report import Run, run_of
from benchmarks.alert_fanout_setup import Stage
from core.db import Database

STORED_POLL_S = 0.01  # the database, for "every received stored"
CAPTURE_POLL_S = 0.005  # the real agent's capture folder
STARTED_TIMEOUT_S = 30.0  # for the real agent's "started" to be stored
EXPIRES = timedelta(hours=1)


def collect_timeout(agents: int) -> float:
    return 30.0 + agents / 200


@dataclass(slots=True)
class Sent:
    run: Run
    alert_id: int
    identifier: str
    sample: str | None  # the push's text as a simulated agent got it
    notes: list[str]


def _all_received(database: Database, identifier: str, expected: int) -> bool:
    query = (
        select(func.count(), func.count(col(AlertDelivery.received_at)))
        .join(Alert, col(Alert.id) == AlertDelivery.alert_id)
        .where(Alert.identifier == identifier)
    )
    with database.session() as session:
        rows, received = session.exec(query).one()
    return bool(rows == expected and received == rows)


def send_alert(
    http: httpx.Client,
    clients: Clients,
    database: Database,
    stage: Stage,
    agent: RealAgent | None,
    content_id: int,
) -> Sent:
    """Issue one alert (playing `content_id`) to the commune and measure it through."""
    identifier = f"bench-fanout-{secrets.token_hex(6)}"
    expected = len(stage.stations) + (stage.real is not None)
    timeout = collect_timeout(expected)
    stored = Watch(partial(_all_received, database, identifier, expected), STORED_POLL_S, timeout)
    wav = None
    if agent is not None:
        before = agent.captures()
        wav = Watch(lambda: bool(agent.captures() - before), CAPTURE_POLL_S, STARTED_TIMEOUT_S)
    clients.ask({"cmd": "collect", "alert_id": identifier, "timeout_s": timeout})
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
    t0 = time.time()
    answer = http.post("/api/v1/alerts", json=body)
    post_s = time.time() - t0
    if answer.status_code != 201:
        raise RuntimeError(f"POST /api/v1/alerts: {answer.status_code} {answer.text[:500]}")
    collected = clients.collected(timeout + 30)
    run = run_of("loaxa", len(stage.stations), t0, collected["arrivals"], post_s)
    run.others = collected["others"]
    run.clients_cpu_ms = collected["cpu_s"] * 1000
    stored_at = stored.result()
    run.stored_ms = (stored_at - t0) * 1000 if stored_at is not None else math.nan
    alert_id = answer.json()["id"]
    notes = [f"loaxa: stored-all watch: {stored.error}"] if stored.error else []
    detail = _detail(http, alert_id, agent)
    unreached = [d["station_id"] for d in detail["deliveries"] if d["stage"] == "none"]
    if unreached:
        notes.append(f"loaxa: {len(unreached)} station(s) at stage none, e.g. #{unreached[0]}")
    if agent is not None and wav is not None:
        _real_agent(run, detail, agent.station_id, t0, wav.result(), notes)
    return Sent(run, alert_id, identifier, collected["sample"], notes)


def _detail(http: httpx.Client, alert_id: int, agent: RealAgent | None) -> dict[str, Any]:
    """The alert as GET shows it; with a real agent, once its "started" is stored."""
    deadline = time.monotonic() + STARTED_TIMEOUT_S
    while True:
        answer = http.get(f"/api/v1/alerts/{alert_id}")
        answer.raise_for_status()
        detail: dict[str, Any] = answer.json()
        if agent is None or time.monotonic() > deadline:
            return detail
        mine = [d for d in detail["deliveries"] if d["station_id"] == agent.station_id]
        if mine and mine[0]["started_at"] is not None:
            return detail
        time.sleep(0.2)  # polling: the acks are written every 0.25 s


def _at(value: str | None) -> float:
    return datetime.fromisoformat(value).timestamp() if value else math.nan


def _real_agent(
    run: Run,
    detail: dict[str, Any],
    station_id: int,
    t0: float,
    wav_at: float | None,
    notes: list[str],
) -> None:
    mine = [d for d in detail["deliveries"] if d["station_id"] == station_id]
    if not mine or mine[0]["started_at"] is None:
        notes.append(f"real agent: no 'started' stored within {STARTED_TIMEOUT_S:g} s")
    if not mine:
        return
    received, started = _at(mine[0]["received_at"]), _at(mine[0]["started_at"])
    run.real_received_ms = (received - t0) * 1000
    run.real_started_ms = (started - t0) * 1000
    run.real_gap_ms = (started - received) * 1000
    run.capture_ms = (wav_at - t0) * 1000 if wav_at is not None else math.nan


def cancel(http: httpx.Client, stage: Stage, identifier: str) -> None:
    body = {
        "msg_type": "Cancel",
        "references": [identifier],
        "area_id": stage.commune_id,
        "headline": "Hủy bản tin thử",
        "expires": (datetime.now(UTC) + EXPIRES).isoformat(),
        "issue_now": True,
    }
    answer = http.post("/api/v1/alerts", json=body)
    if answer.status_code != 201:
        raise RuntimeError(f"the Cancel: {answer.status_code} {answer.text[:500]}")


def bare_message(sample: str, number: int) -> tuple[str, str]:
    """Loaxa's push text with a fresh alert id: the baseline sends the same bytes."""
    event = json.loads(sample)
    event["alert_id"] = identifier = f"bare-{number}-{secrets.token_hex(4)}"
    return identifier, json.dumps(event)


def send_bare(http: httpx.Client, clients: Clients, agents: int, sample: str, number: int) -> Run:
    identifier, message = bare_message(sample, number)
    timeout = collect_timeout(agents)
    clients.ask({"cmd": "collect", "alert_id": identifier, "timeout_s": timeout})
    t0 = time.time()
    answer = http.post("/fanout", content=message.encode())
    post_s = time.time() - t0
    answer.raise_for_status()
    collected = clients.collected(timeout + 30)
    run = run_of("bare", agents, t0, collected["arrivals"], post_s)
    run.others = collected["others"]
    run.clients_cpu_ms = collected["cpu_s"] * 1000
    return run
