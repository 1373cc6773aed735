"""Several server processes on PostgreSQL, for real: `loaxa server --workers 2` serves from
two processes and starts again one that is killed; and of two servers on one database, an
alert issued through one reaches an agent connected to the other at once, over either
transport (the WebSocket channel by NOTIFY; MQTT through the broker, published by the
scheduler's leader, whichever server that is; each server's own check for alerts is set to
a minute)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth.models import Role
from playlists.content.storage import LocalStorage
from tests.e2e.agent_site import Site
from tests.e2e.processes import Server, wait_for
from tests.mosquitto import Broker
from tests.stations.factories import make_station
from tests.stations.fleet.scenario import schedule, stored_audio
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

# Only a NOTIFY can bring an alert across in time: each process's own check is a minute.
SLOW_CHECK = {"LOAXA_ALERT_REFRESH_S": "60"}


def _workers(server: Server) -> set[int]:
    """The pids of the worker processes uvicorn runs under the server's process."""
    assert server.popen is not None
    found = subprocess.run(
        ["pgrep", "-P", str(server.popen.pid), "-f", "spawn_main"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {int(pid) for pid in found.stdout.split()}


def test_two_worker_processes_serve_and_a_killed_one_is_started_again(
    world: World, database_url: str, tmp_path: Path
) -> None:
    server = Server(database_url, tmp_path / "data", tmp_path, options=("--workers", "2"))
    server.start()
    try:
        first = wait_for(
            lambda: (w := _workers(server)) and len(w) == 2 and w, timeout=30, what="two workers"
        )
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        again = wait_for(
            lambda: (w := _workers(server)) and len(w) == 2 and victim not in w and w,
            timeout=30,
            what="the killed worker started again",
            log=server.log,
        )
        assert len(again & first) == 1
        # Whichever process answers, the API answers as one server.
        me = [
            httpx.get(f"{server.url}/api/v1/auth/me", headers=world.headers("admin_p"))
            for _ in range(20)
        ]
        assert {answer.status_code for answer in me} == {200}
    finally:
        server.stop()
    assert not _alive(first | again), "a worker outlived the server"


def _alive(pids: set[int]) -> bool:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        return True
    return False


@pytest.fixture(params=["websocket", "mqtt"])
def two_servers(
    request: pytest.FixtureRequest, world: World, database_url: str, tmp_path: Path
) -> Iterator[tuple[Site, Server, str]]:
    data = tmp_path / "data"  # one content store, as processes of one installation share
    storage = LocalStorage(data / "content")
    audio = stored_audio(world, "A", storage, size=100_000)
    schedule(world, "A", audio)
    station = make_station(world, "A")
    with contextlib.ExitStack() as stack:
        settings = dict(SLOW_CHECK)
        if request.param == "mqtt":
            broker = Broker(tmp_path / "broker").start()
            stack.callback(broker.stop)
            settings |= broker.settings()
        one = Server(database_url, data, tmp_path, settings=settings).start()
        stack.callback(one.stop)
        other = Server(database_url, data, tmp_path, settings=settings).start()
        stack.callback(other.stop)
        yield Site(world, one, storage, audio, station, tmp_path), other, request.param


def _delivery(site: Site, alert_id: int) -> dict[str, Any] | None:
    shown = httpx.get(
        f"{site.server.url}/api/v1/alerts/{alert_id}", headers=site.world.headers("supervisor_a")
    )
    deliveries = shown.json()["deliveries"]
    return dict(deliveries[0]) if deliveries and deliveries[0]["received_at"] else None


def test_an_alert_through_one_server_reaches_an_agent_on_the_other(
    two_servers: tuple[Site, Server, str],
) -> None:
    site, other, transport = two_servers
    site.world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    agent = site.agent("pi", server_url=other.url).start()
    try:
        wait_for(
            lambda: "events: connected" in agent.text(),
            timeout=30,
            what="the agent connected",
            log=agent.log,
        )
        assert ("events: connected (mqtt)" in agent.text()) == (transport == "mqtt")
        body = {
            "area_id": site.world.areas["A"],
            "target_area_ids": [site.world.areas["A"]],
            "headline": "Lũ quét: tránh xa bờ suối",
            "content_id": site.audio.content_id,
            "expires": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            "issue_now": True,
        }
        issued_at = time.monotonic()
        answer = httpx.post(
            f"{site.server.url}/api/v1/alerts", json=body, headers=site.world.headers("duty_a")
        )
        assert answer.status_code == 201, answer.text
        delivery = wait_for(
            lambda: _delivery(site, answer.json()["id"]), timeout=20, what="received", log=agent.log
        )
        elapsed = time.monotonic() - issued_at
    finally:
        agent.stop()
    assert delivery["stage"] in ("received", "started", "finished")
    # Far inside the other server's own minute: the NOTIFY carried it. (The fan-out's speed
    # is measured by benchmarks/alert_fanout.py, not here.)
    assert elapsed < 20
