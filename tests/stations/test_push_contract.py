"""Push's contract, the same cases over both transports, for real: a real server process
(and, for MQTT, a real Mosquitto from the repository's template), and the agent's own push
sessions (stations/agent/push.py, push_mqtt.py) with a recording handler in their place of
the runtime. Over either, a station hears a new build of its manifest, an alert to its
commune and no other commune's, has its acks recorded (and over MQTT its heartbeats), and a
revoked station is told and shut out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
import httpx
import pytest

from core.auth.models import Role
from core.db import Database
from migrations.upgrade import upgrade
from playlists.content.storage import LocalStorage
from stations.agent.credentials import PushLogin
from stations.agent.push import HeartbeatSender, PushRefused, PushSession, WebSocketSession
from stations.agent.push_mqtt import MqttSession
from stations.protocol import (
    AckEvent,
    AlertEvent,
    EnrollReply,
    EnrollRequest,
    Heartbeat,
    Manifest,
    ManifestEvent,
    RevokedEvent,
    ServerEvent,
    read_server_event,
)
from tests.e2e.alerts_api import issue_alert
from tests.e2e.processes import Server, wait_for
from tests.mosquitto import Broker
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import StoredAudio, schedule, stored_audio
from tests.world import World, build_world

TRANSPORTS = ["websocket", "mqtt"]
WITHIN_S = 10.0  # far more than either takes; a message that never comes still fails


@dataclass
class Station:
    station_id: int
    token: str
    manifest: Manifest
    login: PushLogin | None


@dataclass
class PushSite:
    transport: str
    world: World
    server: Server
    storage: LocalStorage
    audio: StoredAudio
    audio_b: StoredAudio
    a: Station
    b: Station
    c: Station  # the one revoked

    def session(self, station: Station) -> PushSession:
        if self.transport == "websocket":
            return WebSocketSession(self.server.url.replace("http", "ws", 1), station.token)
        assert station.manifest.push is not None and station.login is not None
        return MqttSession(station.manifest.push, station.login, on_subscribed=lambda _: None)


@dataclass
class Recorder:
    """The runtime's place: every event heard, and acks to send."""

    events: list[ServerEvent] = field(default_factory=list)
    transports: list[str] = field(default_factory=list)
    acks: asyncio.Queue[AckEvent] = field(default_factory=asyncio.Queue)
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    heartbeat: HeartbeatSender | None = None

    def on_message(self, message: str | bytes) -> None:
        event = read_server_event(message)
        if event is not None:
            self.events.append(event)
            self.heard.set()

    def known_acks(self) -> list[AckEvent]:
        return []

    async def next_ack(self) -> AckEvent:
        return await self.acks.get()

    def connected(self, transport: str, heartbeat: HeartbeatSender | None = None) -> None:
        self.transports.append(transport)
        self.heartbeat = heartbeat
        self.heard.set()

    async def until(self, found: Any, what: str) -> Any:
        async def wait() -> Any:
            while True:
                for event in self.events:
                    if found(event):
                        return event
                self.heard.clear()
                await self.heard.wait()

        try:
            return await asyncio.wait_for(wait(), WITHIN_S)
        except TimeoutError:
            pytest.fail(f"{what}: not within {WITHIN_S} s (heard {self.events})")

    async def until_connected(self) -> None:
        async def wait() -> None:
            while not self.transports:
                self.heard.clear()
                await self.heard.wait()

        await asyncio.wait_for(wait(), WITHIN_S)


@contextlib.asynccontextmanager
async def listening(site: PushSite, station: Station) -> AsyncIterator[Recorder]:
    recorder = Recorder()
    task = asyncio.create_task(site.session(station).run(recorder))
    try:
        await recorder.until_connected()
        yield recorder
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def _enrol(world: World, server: Server, station_id: int) -> tuple[str, PushLogin | None]:
    request = EnrollRequest(
        code=enrollment_code(world, station_id), hardware_id="t", agent_version="1"
    )
    answer = httpx.post(
        f"{server.url}/agent/v1/enroll", json=request.model_dump(mode="json", exclude_none=True)
    )
    assert answer.status_code == 201, answer.text
    reply = EnrollReply.model_validate_json(answer.content)
    given = reply.push_credentials
    return reply.token, PushLogin(given.username, given.password) if given else None


def _manifest(server: Server, token: str) -> Manifest:
    answer = wait_for(
        lambda: (
            (
                r := httpx.get(
                    f"{server.url}/agent/v1/manifest", headers={"Authorization": f"Bearer {token}"}
                )
            ).status_code
            == 200
            and r
        ),
        timeout=30,
        what="the station's first build",
    )
    return Manifest.model_validate_json(answer.content)


@pytest.fixture(scope="module", params=TRANSPORTS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PushSite]:
    """One server (and broker) per transport for the module: each case uses its own
    stations or reads what is current, so none depends on another's order."""
    transport: str = request.param
    tmp_path = tmp_path_factory.mktemp(transport)
    database_url = f"sqlite:///{tmp_path / 'loaxa.db'}"
    upgrade(database_url)
    database = Database(database_url)
    world = build_world(database)
    data = tmp_path / "data"
    storage = LocalStorage(data / "content")
    audio = stored_audio(world, "A", storage, size=20_000)
    schedule(world, "A", audio)
    audio_b = stored_audio(world, "B", storage, size=20_000)
    schedule(world, "B", audio_b)
    a, b, c = make_station(world, "A"), make_station(world, "B"), make_station(world, "A")
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    world.add_user("duty_b", area="B", roles={Role.operator: "B", Role.approver: "B"})
    broker = Broker(tmp_path / "broker").start() if transport == "mqtt" else None
    settings = broker.settings() if broker else {}
    server = Server(database_url, data, tmp_path, settings=settings).start()
    try:
        stations = []
        for station_id in (a, b, c):
            token, login = _enrol(world, server, station_id)
            assert (login is not None) == (transport == "mqtt")
            stations.append(Station(station_id, token, _manifest(server, token), login))
        yield PushSite(transport, world, server, storage, audio, audio_b, *stations)
    finally:
        server.stop()
        if broker is not None:
            broker.stop()
        database.dispose()


def _issue(site: PushSite, user: str, area: str, headline: str) -> int:
    audio = site.audio if area == "A" else site.audio_b
    return issue_alert(
        site.server.url,
        site.world,
        user=user,
        area=area,
        content_id=audio.content_id,
        headline=headline,
    )


def test_the_manifest_block_names_the_transport(site: PushSite) -> None:
    push = site.a.manifest.push
    if site.transport == "websocket":
        assert push is None  # the manifest stays as older agents know it
        return
    assert push is not None and push.transport == "mqtt" and push.url == site.a.manifest.push.url
    a_path = [site.world.areas[n] for n in ("Việt Nam", "P", "A")]
    assert push.topics == [
        f"loaxa/v1/stations/{site.a.station_id}/events",
        f"loaxa/v1/stations/{site.a.station_id}/manifest",
        *[f"loaxa/v1/areas/{area}/events" for area in a_path],
    ]


def test_a_new_build_is_heard(site: PushSite) -> None:
    async def scenario() -> None:
        before = (await asyncio.to_thread(_manifest, site.server, site.a.token)).version
        async with listening(site, site.a) as heard:
            await asyncio.to_thread(
                schedule, site.world, "A", stored_audio(site.world, "A", site.storage, size=5_000)
            )
            hint = await heard.until(
                lambda e: isinstance(e, ManifestEvent) and e.version > before,
                "the new build's hint",
            )
            assert hint.build_id

    asyncio.run(scenario())


def test_an_alert_reaches_its_commune_only_and_the_acks_are_recorded(site: PushSite) -> None:
    async def scenario() -> None:
        async with listening(site, site.a) as in_a, listening(site, site.b) as in_b:
            alert_a = await asyncio.to_thread(_issue, site, "duty_a", "A", "Lũ quét ở xã A")
            event = await in_a.until(lambda e: isinstance(e, AlertEvent), "the alert in A")
            assert event.msg_type == "Alert" and event.alert is not None
            assert event.alert.title == "Lũ quét ở xã A"
            await in_a.acks.put(AckEvent(type="ack", alert_id=event.alert_id, stage="received"))
            # Then one to B: the first alert B hears is its own (A's went out before it).
            await asyncio.to_thread(_issue, site, "duty_b", "B", "Cháy rừng ở xã B")
            first_in_b = await in_b.until(lambda e: isinstance(e, AlertEvent), "the alert in B")
            assert first_in_b.alert is not None and first_in_b.alert.title == "Cháy rừng ở xã B"
            received = await _received(site, alert_a)
            assert received["station_id"] == site.a.station_id

    asyncio.run(scenario())


async def _received(site: PushSite, alert_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        for _ in range(int(WITHIN_S / 0.05)):
            shown = await client.get(
                f"{site.server.url}/api/v1/alerts/{alert_id}",
                headers=site.world.headers("supervisor_a"),
            )
            done = [d for d in shown.json()["deliveries"] if d["received_at"]]
            if done:
                return dict(done[0])
            await asyncio.sleep(
                0.05
            )  # polling the API for a result the server writes once a second
    pytest.fail("the ack was not recorded")


def test_a_revoked_station_is_told_and_shut_out(site: PushSite) -> None:
    async def scenario() -> None:
        async with listening(site, site.c) as heard:
            answer = await asyncio.to_thread(
                httpx.post,
                f"{site.server.url}/api/v1/stations/{site.c.station_id}/revoke",
                headers=site.world.headers("admin_a"),
            )
            assert answer.status_code == 204, answer.text
            await heard.until(lambda e: isinstance(e, RevokedEvent), "revoked")
        deadline = asyncio.get_running_loop().time() + WITHIN_S
        while True:
            try:
                await asyncio.wait_for(site.session(site.c).run(Recorder()), 1.0)
            except PushRefused:
                break
            except (TimeoutError, aiomqtt.MqttError):
                pass  # still let in, or let in then put out: the client goes a moment later
            assert asyncio.get_running_loop().time() < deadline, "the revoked station got in"

    asyncio.run(scenario())


def test_heartbeats_go_over_mqtt_and_the_station_shows_them(site: PushSite) -> None:
    async def scenario() -> None:
        async with listening(site, site.a) as heard:
            if site.transport == "websocket":
                assert heard.heartbeat is None  # the channel carries none: HTTP does
                return
            assert heard.heartbeat is not None
            beat = Heartbeat(
                manifest_version=site.a.manifest.version,
                clock_offset_ms=0,
                agent_version="9.9-mqtt",
                uptime_s=1.0,
            )
            await heard.heartbeat(beat)
            shown = await _station_with(site, site.a.station_id, "9.9-mqtt")
            assert shown["status"] == "online"
            assert shown["manifest_version"] == site.a.manifest.version

    asyncio.run(scenario())


async def _station_with(site: PushSite, station_id: int, agent_version: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        for _ in range(int(WITHIN_S / 0.05)):
            shown = await client.get(
                f"{site.server.url}/api/v1/stations/{station_id}",
                headers=site.world.headers("admin_a"),
            )
            if shown.json().get("agent_version") == agent_version:
                return dict(shown.json())
            await asyncio.sleep(0.05)  # polling for what the server writes once a second
    pytest.fail("the heartbeat was not recorded")
