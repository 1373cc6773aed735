"""Push over MQTT 5 through Mosquitto, the server's side (DESIGN.md: push at national
scale). One paho client per process, on its own network thread: publishing is safe from
any thread (the scheduler's, the alert board's, a route's).

- Manifest hints go, retained, to each station's manifest topic: a station that connects
  later hears the latest at once, and only the latest.
- An alert goes once to each area topic its reach covers, and to the topics of the stations
  outside those, with a message expiry: a station away with a persistent session hears it on
  its return while it still matters, never after.
- Acks, heartbeats and presence come up through shared subscriptions: every process subscribes, the
  broker hands each message to one of them.
- Alerts and manifests are published by the scheduler's leader only (`leading`): every
  process's alert board sees each change, and N copies of an alert to ten thousand stations
  would cost the broker N fan-outs. A revocation is published by whichever process made it.
- Credentials and access go through the broker's dynamic security plugin (security.py).
- The server's own session is persistent, under a client id its process keeps across
  restarts (server_slot.py): what stations send while it is away from the broker waits
  for it. A process that stops cleanly ends its session as it leaves, so nothing waits for
  a process that will not come back.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from core.clock import Clock
from stations.fleet.agent_events import acknowledged
from stations.fleet.mqtt import security, topics
from stations.fleet.mqtt.server_slot import claim_slot
from stations.fleet.push import AlertReach
from stations.fleet.sources import AckSink
from stations.protocol import (
    AckEvent,
    AlertEvent,
    Heartbeat,
    ManifestEvent,
    PushCredentials,
    RevokedEvent,
    encode_event,
)

log = logging.getLogger(__name__)

CONTROL_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 5.0
# A revoked station gets a moment to hear "revoked" before its client is deleted (which
# disconnects it at once).
REVOKE_GRACE_S = 1.0
# A Cancel kept for an away station: it matters only while the alert it ends would play.
CANCEL_EXPIRY_S = 6 * 3600
# How long the broker keeps a server process's session once it is gone without a goodbye:
# longer than a broker's restart or a dead worker's replacement take, short enough that
# the share of the stations' messages held for a process that never returns is small.
SERVER_SESSION_EXPIRY_S = 600


class HeartbeatSink(Protocol):
    def add(self, *, station_id: int, beat: Heartbeat, now: datetime) -> None: ...


class PushUnavailable(Exception):
    """The broker could not be reached, or refused what the server asked."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        tls = parts.scheme == "mqtts"
        return cls(parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), tls)


def _client(
    client_id: str, address: BrokerAddress, username: str, password: str, ca_file: Path | None
) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)
    if address.tls:
        client.tls_set(ca_certs=str(ca_file) if ca_file else None)
    return client


class MqttPush:
    def __init__(
        self,
        *,
        url: str,
        username: str,
        password: str,
        acks: AckSink,
        heartbeats: HeartbeatSink,
        clock: Clock,
        leading: Callable[[], bool],
        data_dir: Path,
        ca_file: Path | None = None,
    ) -> None:
        self._address = BrokerAddress.parse(url)
        self._credentials = (username, password, ca_file)
        self._acks = acks
        self._heartbeats = heartbeats
        self._clock = clock
        self._leading = leading
        # Unique per running process (two clients with one id would take each other's
        # place), the same for the process that takes its place.
        self._slot = claim_slot(data_dir)
        self._client = _client(self._slot.client_id, self._address, *self._credentials)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)  # no limit: nothing published is dropped
        # A few server processes make no herd: back within 2 s of a broker's restart (the
        # alerts published meanwhile wait in this client until then).
        self._client.reconnect_delay_set(1, 2)
        self._client.on_connect = self._connected
        self._client.on_subscribe = self._subscribed
        self._subscribing: int | None = None
        self._client.on_message = self._received
        # A callback's error must never end the network thread (paho re-raises by default).
        self._client.suppress_exceptions = True
        self._connected_once = threading.Event()
        # Called (off the network thread) each time the connection comes back: the alert
        # board publishes what is on the air again (api.py).
        self.after_reconnect: Callable[[], None] = lambda: None
        self._answers: dict[str, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._answers_lock = threading.Lock()
        self.presence: dict[int, bool] = {}

    # lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background: a broker down at start is retried, and what is
        published meanwhile is queued (pull is the truth: agents poll all the same)."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = SERVER_SESSION_EXPIRY_S
        self._client.connect_async(
            self._address.host,
            self._address.port,
            keepalive=30,
            clean_start=False,  # a predecessor's session, and what waits in it, is ours
            properties=properties,
        )
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Connected and subscribed, at least once."""
        return self._connected_once.wait(timeout)

    def stop(self) -> None:
        goodbye = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
        goodbye.SessionExpiryInterval = 0  # the broker ends the session now
        self._client.disconnect(properties=goodbye)
        self._client.loop_stop()
        self._slot.release()

    def _connected(
        self, client: mqtt.Client, _: object, __: object, reason: Any, ___: object
    ) -> None:
        if reason.is_failure:
            log.error("mqtt: the broker refused the server's connection: %s", reason)
            return
        _, self._subscribing = client.subscribe(
            [
                (security.RESPONSE, 1),
                (topics.SHARED_ACKS, 1),
                (topics.SHARED_HEARTBEATS, 0),
                (topics.SHARED_PRESENCE, 1),
            ]
        )
        log.info("mqtt: connected to %s:%d", self._address.host, self._address.port)

    def _subscribed(self, _: mqtt.Client, __: object, mid: int, ___: object, ____: object) -> None:
        # Ready once the broker has the subscriptions: an ack sent from then on is heard.
        if mid != self._subscribing:
            return
        if self._connected_once.is_set():
            threading.Thread(target=self._reconnected, daemon=True).start()
        self._connected_once.set()

    def _reconnected(self) -> None:
        try:
            self.after_reconnect()
        except Exception:
            log.exception("mqtt: publishing again after reconnecting failed")

    # down ----------------------------------------------------------------------------

    def publish_manifests(self, builds: Mapping[int, tuple[int, str]]) -> None:
        if not self._leading():
            return
        for station_id, (version, build_id) in builds.items():
            hint = ManifestEvent(type="manifest", version=version, build_id=build_id)
            self._client.publish(
                topics.station_manifest(station_id), encode_event(hint), qos=1, retain=True
            )

    def publish_alert(self, event: AlertEvent, reach: AlertReach) -> None:
        if not self._leading():
            return
        text = encode_event(event)
        properties = _expiring(self._expiry_s(event, self._clock.now()))
        for area in reach.areas:
            self._client.publish(topics.area_events(area), text, qos=1, properties=properties)
        for station_id in reach.outside:
            self._client.publish(
                topics.station_events(station_id), text, qos=1, properties=properties
            )

    @staticmethod
    def _expiry_s(event: AlertEvent, now: datetime) -> int:
        if event.alert is None:
            return CANCEL_EXPIRY_S
        return max(1, int((event.alert.expires - now).total_seconds()))

    def revoke(self, station_id: int) -> None:
        """Tell the station, then (a moment later, off the caller's thread) delete its
        client, which disconnects it, and wipe its session."""
        revoked = encode_event(RevokedEvent(type="revoked"))
        self._client.publish(topics.station_events(station_id), revoked, qos=1)
        timer = threading.Timer(REVOKE_GRACE_S, self._remove, args=(station_id,))
        timer.daemon = True
        timer.start()

    def moved(self, station_id: int) -> None:
        """Delete the station's client (off the caller's thread): the broker disconnects
        it, it is refused with its old credentials, and asks for new ones, which carry the
        roles of its new areas; its manifest's new topics start its session afresh."""
        thread = threading.Thread(target=self._remove, args=(station_id,), daemon=True)
        thread.start()

    def _remove(self, station_id: int) -> None:
        try:
            self.control(security.remove_station(station_id))
            self._wipe_session(station_id)
            log.info("mqtt: station #%d removed from the broker", station_id)
        except Exception:
            log.exception("mqtt: could not remove station #%d from the broker", station_id)

    def _wipe_session(self, station_id: int) -> None:
        """Take the station's client id with a clean start and no session expiry, then
        leave: the broker drops the session (its subscriptions and queued messages)."""
        client = _client(topics.client_id(station_id), self._address, *self._credentials)
        done = threading.Event()
        client.on_connect = lambda *_: done.set()
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 0
        client.connect(
            self._address.host,
            self._address.port,
            keepalive=10,
            clean_start=True,
            properties=properties,
        )
        client.loop_start()
        try:
            done.wait(CONTROL_TIMEOUT_S)
        finally:
            client.disconnect()
            client.loop_stop()

    # credentials ---------------------------------------------------------------------

    def grant(self, station_id: int, area_ids: list[int]) -> PushCredentials:
        """New credentials for the station, replacing any it had; raises PushUnavailable
        if the broker does not take them."""
        password = secrets.token_urlsafe(24)
        self.control(security.grant_station(station_id, password, area_ids))
        return PushCredentials(username=topics.username(station_id), password=password)

    def control(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send the plugin these commands and wait for its answer; raises PushUnavailable
        on no answer or on an error that matters."""
        correlation = uuid.uuid4().hex
        tagged = [{**command, "correlationData": correlation} for command in commands]
        done = threading.Event()
        answer: list[dict[str, Any]] = []
        with self._answers_lock:
            self._answers[correlation] = (done, answer)
        try:
            if not self._connected_once.wait(CONTROL_TIMEOUT_S):
                raise PushUnavailable("the MQTT broker is not reachable")
            self._client.publish(security.CONTROL, json.dumps({"commands": tagged}), qos=1)
            if not done.wait(CONTROL_TIMEOUT_S):
                raise PushUnavailable("the MQTT broker did not answer in time")
        finally:
            with self._answers_lock:
                self._answers.pop(correlation, None)
        errors = security.failures(answer)
        if errors:
            raise PushUnavailable("the MQTT broker refused: " + "; ".join(errors))
        return answer

    # up ------------------------------------------------------------------------------

    def _received(self, _: mqtt.Client, __: object, message: mqtt.MQTTMessage) -> None:
        try:
            if message.topic == security.RESPONSE:
                self._answered(message.payload)
                return
            station_id = topics.station_of(message.topic)
            if station_id is None:
                return
            if message.topic == topics.station_acks(station_id):
                ack = AckEvent.model_validate_json(message.payload)
                acknowledged(self._acks, self._clock, station_id, ack)
            elif message.topic == topics.station_heartbeat(station_id):
                beat = Heartbeat.model_validate_json(message.payload)
                self._heartbeats.add(station_id=station_id, beat=beat, now=self._clock.now())
            elif message.topic == topics.station_presence(station_id):
                self.presence[station_id] = bool(json.loads(message.payload).get("online"))
        except (ValidationError, ValueError, AttributeError):
            log.warning(
                "mqtt: ignoring a bad message on %s: %.200r", message.topic, message.payload
            )

    def _answered(self, payload: bytes | bytearray) -> None:
        responses = json.loads(payload).get("responses", [])
        by_correlation: dict[str, list[dict[str, Any]]] = {}
        for response in responses:
            by_correlation.setdefault(str(response.get("correlationData")), []).append(response)
        with self._answers_lock:
            for correlation, answer in by_correlation.items():
                waiting = self._answers.get(correlation)
                if waiting is not None:
                    waiting[1].extend(answer)
                    waiting[0].set()


def _expiring(seconds: int) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.MessageExpiryInterval = seconds
    return properties
