"""A real `loaxa agent` told by its manifest to push over MQTT, with a real server and a
real Mosquitto: it enrols with MQTT credentials, connects to the broker, hears a new build
and an alert there (its polls and heartbeats are ten minutes apart, so nothing else could
bring them) and acks over MQTT; an alert issued while the broker is down reaches it once the
broker is back; credentials the broker lost are asked for again; a station moved to another
commune hears that commune; and over TLS the agent trusts only the CA it was given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.auth.models import Role
from core.db import Database
from migrations.upgrade import upgrade
from playlists.content.storage import LocalStorage
from stations.agent.credentials import PUSH_FILE
from tests.e2e.agent_site import Site, saved_version
from tests.e2e.alerts_api import issue_alert
from tests.e2e.processes import Agent, Server, wait_for
from tests.mosquitto import Broker
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import StoredAudio, schedule, stored_audio
from tests.tls import make_certificates
from tests.world import World, build_world

# Only a push can bring a change in time: polls and heartbeats are ten minutes apart.
PUSH_ONLY = ("--poll-interval", "600", "--heartbeat-interval", "600", "--backoff-max", "1")


@dataclass
class Shared:
    """One server and broker for the module; each test has a station of its own."""

    world: World
    server: Server
    storage: LocalStorage
    audio: StoredAudio
    broker: Broker
    tmp: Path


@dataclass
class MqttSite:
    site: Site
    broker: Broker


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    tmp = tmp_path_factory.mktemp("mqtt")
    url = f"sqlite:///{tmp / 'loaxa.db'}"
    upgrade(url)
    database = Database(url)
    world = build_world(database)
    storage = LocalStorage(tmp / "data" / "content")
    audio = stored_audio(world, "A", storage, size=50_000)
    schedule(world, "A", audio)
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    world.add_user("duty_b", area="B", roles={Role.operator: "B", Role.approver: "B"})
    world.add_user("watch_b", area="B", roles={Role.supervisor: "B"})
    broker = Broker(tmp / "broker").start()
    try:
        server = Server(url, tmp / "data", tmp, settings=broker.settings()).start()
        try:
            yield Shared(world, server, storage, audio, broker, tmp)
        finally:
            server.stop()
    finally:
        broker.stop()
        database.dispose()


@pytest.fixture
def mqtt_site(shared: Shared, tmp_path: Path) -> MqttSite:
    station = make_station(shared.world, "A")
    site = Site(shared.world, shared.server, shared.storage, shared.audio, station, tmp_path)
    return MqttSite(site, shared.broker)


def _connected(agent: Agent, times: int = 1) -> bool:
    return agent.text().count("events: connected (mqtt)") >= times


def _topics(agent: Agent) -> list[str]:
    saved = agent.data_dir / PUSH_FILE
    return list(json.loads(saved.read_text()).get("topics", [])) if saved.exists() else []


def _wait_connected(agent: Agent) -> None:
    wait_for(lambda: _connected(agent), timeout=30, what="connected to the broker", log=agent.log)


def _issue(
    site: Site, headline: str, *, area: str = "A", user: str = "duty_a", content_id: int = 0
) -> int:
    return issue_alert(
        site.server.url,
        site.world,
        user=user,
        area=area,
        content_id=content_id or site.audio.content_id,
        headline=headline,
    )


def _received(site: Site, alert_id: int, reader: str = "supervisor_a") -> dict[str, Any] | None:
    """This station's delivery of the alert, once it says received."""
    shown = httpx.get(
        f"{site.server.url}/api/v1/alerts/{alert_id}", headers=site.world.headers(reader)
    )
    mine = [d for d in shown.json()["deliveries"] if d["station_id"] == site.station_id]
    return dict(mine[0]) if mine and mine[0]["received_at"] else None


def test_an_agent_hears_builds_and_alerts_over_mqtt_and_acks_there(mqtt_site: MqttSite) -> None:
    site = mqtt_site.site
    agent = site.agent("pi", *PUSH_ONLY).start()
    try:
        _wait_connected(agent)
        saved = json.loads((agent.data_dir / PUSH_FILE).read_text())
        assert saved["username"] == f"station-{site.station_id}"
        assert "new MQTT credentials" not in agent.text()  # they came with the enrolment
        assert "/agent/v1/events" not in agent.text()  # not the server's own channel

        before = site.version()
        schedule(site.world, "A", stored_audio(site.world, "A", site.storage, size=10_000))
        wait_for(lambda: site.version() != before, timeout=10, what="server rebuild")
        new = site.version()
        wait_for(
            lambda: saved_version(agent.data_dir) == new,
            timeout=5,
            what="the new build, pushed",
            log=agent.log,
        )

        alert_id = _issue(site, "Lũ quét: tránh xa bờ suối")
        delivery = wait_for(
            lambda: _received(site, alert_id), timeout=10, what="received over MQTT", log=agent.log
        )
        assert delivery["station_id"] == site.station_id
    finally:
        agent.stop()


def test_an_alert_issued_while_the_broker_is_down_reaches_the_agent_when_it_is_back(
    mqtt_site: MqttSite,
) -> None:
    site, broker = mqtt_site.site, mqtt_site.broker
    agent = site.agent("pi", *PUSH_ONLY).start()
    try:
        _wait_connected(agent)
        broker.stop()
        wait_for(
            lambda: "events: Disconnected" in agent.text() or "reconnecting" in agent.text(),
            timeout=10,
            what="the agent saw the broker go",
            log=agent.log,
        )
        alert_id = _issue(site, "Bão số 3: chằng chống nhà cửa")  # the server queues it
        broker.start()
        delivery = wait_for(
            lambda: _received(site, alert_id),
            timeout=20,
            what="received once the broker was back",
            log=agent.log,
        )
        assert delivery["station_id"] == site.station_id
        assert _connected(agent, times=2)
    finally:
        agent.stop()


def test_credentials_the_broker_lost_are_asked_for_again(mqtt_site: MqttSite) -> None:
    site = mqtt_site.site
    agent = site.agent("pi", *PUSH_ONLY).start()
    try:
        _wait_connected(agent)
        saved = json.loads((agent.data_dir / PUSH_FILE).read_text())
        agent.stop()
        # The password the agent holds is no longer the broker's (a broker set up afresh).
        (agent.data_dir / PUSH_FILE).write_text(json.dumps({**saved, "password": "stale"}))
        agent.start()
        wait_for(lambda: _connected(agent, times=2), timeout=30, what="back", log=agent.log)
        assert "asking the server for new credentials" in agent.text()
        assert json.loads((agent.data_dir / PUSH_FILE).read_text())["password"] != "stale"
    finally:
        agent.stop()


def test_a_station_moved_to_another_commune_hears_that_communes_alerts(
    mqtt_site: MqttSite,
) -> None:
    site = mqtt_site.site
    world = site.world
    in_b = stored_audio(world, "B", site.storage, size=10_000)
    schedule(world, "B", in_b)
    agent = site.agent("pi", *PUSH_ONLY).start()
    try:
        _wait_connected(agent)
        moved = httpx.patch(
            f"{site.server.url}/api/v1/stations/{site.station_id}",
            json={"area_id": world.areas["B"]},
            headers=world.headers("admin_p"),
        )
        assert moved.status_code == 200, moved.text
        # Put out by the broker, refused with its old credentials, given new ones for B;
        # its new build (retained on its own topic) brings the push block with B's topics.
        in_b_topic = f"loaxa/v1/areas/{world.areas['B']}/events"
        wait_for(
            lambda: in_b_topic in _topics(agent) and _connected(agent, times=3),
            timeout=30,
            what="subscribed in B",
            log=agent.log,
        )
        assert f"loaxa/v1/areas/{world.areas['A']}/events" not in _topics(agent)
        alert_id = _issue(
            site, "Cháy rừng ở xã B", area="B", user="duty_b", content_id=in_b.content_id
        )
        delivery = wait_for(
            lambda: _received(site, alert_id, reader="watch_b"),
            timeout=10,
            what="received in B",
            log=agent.log,
        )
        assert delivery["station_id"] == site.station_id
    finally:
        agent.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_over_tls_the_agent_trusts_only_the_ca_it_was_given(
    world: World, database_url: str, tmp_path: Path
) -> None:
    """Broker and server on TLS with the test's own CA (ECDSA P-256): the agent given that
    CA (--ca-file) connects and hears the alert; one trusting only the system's CAs is
    refused the broker's certificate."""
    certs = make_certificates(tmp_path / "tls")
    data = tmp_path / "data"
    storage = LocalStorage(data / "content")
    audio = stored_audio(world, "A", storage, size=20_000)
    schedule(world, "A", audio)
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    pinned_station, other_station = make_station(world, "A"), make_station(world, "A")
    broker = Broker(tmp_path / "broker", tls=certs).start()
    server = Server(database_url, data, tmp_path, settings=broker.settings()).start()
    site = Site(world, server, storage, audio, pinned_station, tmp_path)
    pinned = site.agent("pinned", *PUSH_ONLY, "--ca-file", str(certs.ca)).start()
    unpinned = Agent(
        server.url,
        tmp_path / "unpinned",
        tmp_path,
        "--enroll",
        enrollment_code(world, other_station),
        "--no-playout",
        *PUSH_ONLY,
    ).start()
    try:
        _wait_connected(pinned)
        alert_id = _issue(site, "Lũ quét: tránh xa bờ suối")
        wait_for(lambda: _received(site, alert_id), timeout=10, what="received", log=pinned.log)
        wait_for(
            lambda: (
                "CERTIFICATE_VERIFY_FAILED" in unpinned.text()
                or "certificate verify failed" in unpinned.text()
            ),
            timeout=30,
            what="the unpinned agent refused the broker's certificate",
            log=unpinned.log,
        )
        assert not _connected(unpinned)
    finally:
        for process in (pinned, unpinned, server):
            process.stop()
        broker.stop()
