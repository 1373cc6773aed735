"""The agent's MQTT session against a real Mosquitto: an ack that no server process heard
(the broker says "no matching subscribers": a broker just restarted forgets the server's
shared subscriptions) is sent again until one does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from stations.agent.credentials import PushLogin
from stations.agent.push import HeartbeatSender
from stations.agent.push_mqtt import MqttSession
from stations.fleet.mqtt import topics
from stations.fleet.push_plan import PushPlan
from stations.protocol import AckEvent
from tests.e2e.processes import wait_for
from tests.mosquitto import ADMIN, Broker, broker, server_push

__all__ = ["broker"]  # the fixture

STATION, AREA = 7, 3
WITHIN_S = 15.0


class OneAck:
    """The runtime's place: one ack known from before, nothing more."""

    def __init__(self, ack: AckEvent) -> None:
        self.ack = ack
        self.up = asyncio.Event()

    def on_message(self, message: str | bytes) -> None:
        pass

    def known_acks(self) -> list[AckEvent]:
        return [self.ack]

    async def next_ack(self) -> AckEvent:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def connected(self, transport: str, heartbeat: HeartbeatSender | None = None) -> None:
        self.up.set()


class SharedAcks:
    """A server process's place: the shared subscription to every station's acks."""

    def __init__(self, broker: Broker) -> None:
        self.heard: list[bytes] = []
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.username_pw_set(ADMIN, broker.password)
        self._client.on_connect = lambda c, *_: c.subscribe(topics.SHARED_ACKS, qos=1)
        self._client.on_message = lambda _c, _u, message: self.heard.append(message.payload)
        self._client.connect("127.0.0.1", broker.port)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _station_login(broker: Broker, data_dir: Path) -> PushLogin:
    admin = server_push(broker, data_dir)
    try:
        granted = admin.grant(STATION, [AREA])
    finally:
        admin.stop()  # a clean stop: its shared subscriptions go with it
    return PushLogin(granted.username, granted.password, ())


def test_an_ack_no_server_heard_is_sent_again_until_one_does(
    broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    login = _station_login(broker, tmp_path / "server")
    block = PushPlan("mqtt", broker.url, 600).block(STATION, [AREA])
    assert block is not None
    ack = AckEvent(type="ack", alert_id="storm", stage="received", at=datetime.now(UTC))

    async def scenario() -> SharedAcks:
        handler = OneAck(ack)
        session = MqttSession(block, login, on_subscribed=lambda _: None)
        running = asyncio.create_task(session.run(handler))
        try:
            await asyncio.wait_for(handler.up.wait(), WITHIN_S)
            # The known ack went out at once, with no server subscribed: nobody heard it.
            await asyncio.to_thread(
                wait_for,
                lambda: "no server heard an ack" in caplog.text,
                timeout=WITHIN_S,
                what="the broker's 'no matching subscribers'",
            )
            server = SharedAcks(broker)
            await asyncio.to_thread(
                wait_for, lambda: server.heard, timeout=WITHIN_S, what="the ack sent again"
            )
            return server
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    with caplog.at_level(logging.INFO, logger="loaxa.agent"):
        server = asyncio.run(asyncio.wait_for(scenario(), WITHIN_S * 2))
    try:
        assert AckEvent.model_validate_json(server.heard[0]) == ack
    finally:
        server.stop()
