"""A warning service's Atom feed on loopback, polled by the real server process: a new
entry's CAP document is imported and issued at once (the feed's issue_now, its owner an
operator and approver of the commune), and two real agents playing with VLC (capturing
into WAV files) acknowledge it, received, started and finished, as the API shows; then the
service's Update replaces it on both and its Cancel stops it there; and when the service
stops answering, the feed is shown silent, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth.models import Role
from tests.alerts.cap_documents import cap_alert, give_code
from tests.alerts.factories import CAP_SENDER
from tests.alerts.feed_site import ATOM_PATH, FeedSite, LoopbackServer
from tests.e2e.agent_site import FAST, saved_manifest, saved_version
from tests.e2e.processes import Agent, Server, wait_for
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def warnings() -> Iterator[FeedSite]:
    site = FeedSite()
    with LoopbackServer(site):
        yield site


@pytest.fixture
def server(world: World, database_url: str, tmp_path: Path) -> Iterator[Server]:
    # Polls looked for five times a second: the test waits on the feed, not on the tick.
    settings = {"LOAXA_CAP_FEED_TICK_S": "0.2"}
    process = Server(database_url, tmp_path / "data", tmp_path, settings=settings).start()
    try:
        yield process
    finally:
        process.stop()


def _agents(world: World, server: Server, tmp: Path, count: int) -> list[Agent]:
    agents = []
    for n in range(count):
        code = enrollment_code(world, make_station(world, "A"))
        capture = tmp / f"played-{n}"
        args = ("--enroll", code, "--capture-dir", str(capture), *FAST)
        agents.append(Agent(server.url, tmp / f"pi-{n}", tmp, *args).start())
    for agent in agents:
        wait_for(
            lambda agent=agent: saved_version(agent.data_dir) is not None,
            timeout=30,
            what="the agent's first manifest",
            log=agent.log,
        )
    return agents


def _get(server: Server, world: World, path: str) -> Any:
    answer = httpx.get(f"{server.url}{path}", headers=world.headers("supervisor_a"), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_feeds_alert_update_and_cancel_reach_real_agents_and_a_silent_feed_shows(
    world: World, server: Server, warnings: FeedSite, tmp_path: Path
) -> None:
    give_code(world, "A")
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    agents = _agents(world, server, tmp_path, 2)
    try:
        body = {
            "name": "Đài KTTV khu vực",
            "url": warnings.feed_url,
            "area_id": world.areas["A"],
            "senders": [CAP_SENDER],
            "issue_now": True,
            "interval_s": 5,
        }
        made = httpx.post(
            f"{server.url}/api/v1/cap-feeds", json=body, headers=world.headers("duty_a")
        )
        assert made.status_code == 201, made.text
        feed_id = made.json()["id"]
        wait_for(
            lambda: _get(server, world, f"/api/v1/cap-feeds/{feed_id}")["last_success_at"],
            timeout=10,
            what="the empty feed polled",
            log=server.log,
        )
        warnings.publish("/flood.xml", cap_alert("VN-FEED-E2E", headline="Lũ quét"))
        polled = httpx.post(
            f"{server.url}/api/v1/cap-feeds/{feed_id}/poll", headers=world.headers("duty_a")
        )
        assert polled.status_code == 202, polled.text

        def issued() -> dict[str, Any] | None:
            alerts = _get(server, world, "/api/v1/alerts")["data"]
            found = [a for a in alerts if a["identifier"] == "VN-FEED-E2E"]
            return found[0] if found and found[0]["state"] == "issued" else None

        alert = wait_for(issued, timeout=20, what="the feed's alert issued", log=server.log)

        def finished() -> list[dict[str, Any]] | None:
            deliveries = _get(server, world, f"/api/v1/alerts/{alert['id']}")["deliveries"]
            done = len(deliveries) == 2 and all(d["stage"] == "finished" for d in deliveries)
            return deliveries if done else None

        deliveries = wait_for(finished, timeout=30, what="both stations' acks", log=agents[0].log)
        update_id = _follow_up(
            server,
            world,
            warnings,
            feed_id,
            cap_alert("VN-FEED-E2E-2", msg_type="Update", references=("VN-FEED-E2E",)),
        )

        def replaced() -> bool:
            deliveries = _get(server, world, f"/api/v1/alerts/{update_id}")["deliveries"]
            return len(deliveries) == 2 and all(d["started_at"] for d in deliveries)

        wait_for(replaced, timeout=30, what="the Update playing on both", log=agents[0].log)
        cancel = cap_alert("VN-FEED-E2E-3", msg_type="Cancel", references=("VN-FEED-E2E-2",))
        _follow_up(server, world, warnings, feed_id, cancel)
        for agent in agents:
            wait_for(
                lambda agent=agent: _alerts_held(agent) == [],
                timeout=30,
                what="the Cancel stopping it on the agent",
                log=agent.log,
            )
        states = {
            a["identifier"]: a["state"] for a in _get(server, world, "/api/v1/alerts")["data"]
        }
        warnings.failing.add(ATOM_PATH)  # the warning service stops answering
        httpx.post(f"{server.url}/api/v1/cap-feeds/{feed_id}/poll", headers=world.headers("duty_a"))
        silent = wait_for(
            lambda: (f := _get(server, world, f"/api/v1/cap-feeds/{feed_id}"))["silent"] and f,
            timeout=20,
            what="the feed shown silent",
            log=server.log,
        )
    finally:
        for agent in agents:
            agent.stop()
    assert states == {
        "VN-FEED-E2E": "superseded",
        "VN-FEED-E2E-2": "cancelled",
        "VN-FEED-E2E-3": "issued",
    }
    assert "failed" in silent["silent_reason"] and "500" in silent["last_error"]
    assert (alert["sender"], alert["area_id"]) == (CAP_SENDER, world.areas["A"])
    for delivery in deliveries:
        stages = [delivery[f"{s}_at"] for s in ("received", "started", "finished")]
        assert all(stages) and stages == sorted(stages) and not delivery["unacknowledged"]
    assert warnings.requests["/flood.xml"] == 1  # each document fetched once


def _follow_up(
    server: Server, world: World, warnings: FeedSite, feed_id: int, document: bytes
) -> int:
    """Publish the service's next message, poll the feed now; the alert it became, issued."""
    identifier = document.split(b"<identifier>")[1].split(b"<")[0].decode()
    warnings.publish(f"/{identifier}.xml", document)
    polled = httpx.post(
        f"{server.url}/api/v1/cap-feeds/{feed_id}/poll", headers=world.headers("duty_a")
    )
    assert polled.status_code == 202, polled.text

    def issued() -> int | None:
        alerts = _get(server, world, "/api/v1/alerts")["data"]
        found = [a for a in alerts if a["identifier"] == identifier and a["state"] == "issued"]
        return int(found[0]["id"]) if found else None

    return wait_for(issued, timeout=20, what=f"{identifier} issued", log=server.log)


def _alerts_held(agent: Agent) -> list[str] | None:
    manifest = saved_manifest(agent.data_dir)
    return [a.id for a in manifest.alerts] if manifest is not None else None
