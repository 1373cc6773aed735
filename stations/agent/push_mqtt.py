"""Push over MQTT 5, the agent's side: the broker and topics the manifest's push block
names, signed in with the station's own credentials.

The session is persistent (clean start off, the block's session expiry, the client id
keyed by the station), so what the server publishes while the station is away — an alert
during a broker restart or a 4G outage — reaches it when it returns, without a
resubscribe. When the topics change (the station moved to another commune) the session
starts clean once, so no subscription of the old area outlives the move. Presence: a
retained "online" on connecting, and a last will, retained "offline", that the broker sends
when the station goes without a goodbye.

An ack the broker answers with "no matching subscribers" reached no server process (a
broker just restarted does not keep the server's shared subscriptions, and the server may
dial back after the station): it is sent again, with a jittered backoff, until one hears
it or the session ends (the next session sends every known ack anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from stations.agent.backoff import Backoff
from stations.agent.credentials import PushLogin
from stations.agent.push import PushHandler, PushRefused, converse
from stations.protocol import AckEvent, Heartbeat, PushBlock, encode_event

log = logging.getLogger("loaxa.agent")

# CONNACK reason codes that say the credentials are wrong, not that the broker is unwell.
REFUSED = {134, 135}  # bad user name or password, not authorised
ONLINE = json.dumps({"online": True})
OFFLINE = json.dumps({"online": False})
# The broker's answer to a QoS 1 publish that no session subscribes to (MQTT 5).
NO_MATCHING_SUBSCRIBERS = 16
UNHEARD_RETRY_S = (1.0, 30.0)  # first and longest wait before an unheard ack goes again


class _HeardClient(aiomqtt.Client):
    """aiomqtt's client, also telling what the broker answered to a QoS 1 publish
    (aiomqtt only says that it answered)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answers: dict[int, int] = {}
        self._sent: list[mqtt.MQTTMessageInfo] = []
        paho = self._client
        paho_publish = paho.publish
        confirmed: Callable[..., None] = paho.on_publish  # type: ignore[assignment]

        def publish(*args: Any, **kwargs: Any) -> mqtt.MQTTMessageInfo:
            info = paho_publish(*args, **kwargs)
            self._sent.append(info)
            return info

        def on_publish(client: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
            self._answers[mid] = int(getattr(reason, "value", 0))
            confirmed(client, userdata, mid, reason, props)

        paho.publish = publish  # type: ignore[method-assign]
        paho.on_publish = on_publish

    async def publish_heard(self, topic: str, payload: str) -> bool:
        """Publish at QoS 1; False if the broker says no session subscribes to it."""
        self._sent.clear()
        # aiomqtt hands the message to paho before its first await: `_sent` holds it.
        await self.publish(topic, payload, qos=1)
        mid = self._sent.pop().mid
        return self._answers.pop(mid, 0) != NO_MATCHING_SUBSCRIBERS


class _AckSender:
    """Sends acks at QoS 1; one that no server process heard goes again, later."""

    def __init__(self, client: _HeardClient, topic: str | None) -> None:
        self._client = client
        self._topic = topic
        self._retries: set[asyncio.Task[None]] = set()

    async def send(self, ack: AckEvent, backoff: Backoff | None = None) -> None:
        if not self._topic or await self._client.publish_heard(self._topic, encode_event(ack)):
            return
        backoff = backoff or Backoff(*UNHEARD_RETRY_S)
        wait_s = backoff.failed()
        log.info("push: no server heard an ack; sending it again in %.1f s", wait_s)
        retry = asyncio.create_task(self._again(ack, backoff, wait_s))
        self._retries.add(retry)
        retry.add_done_callback(self._retries.discard)

    async def _again(self, ack: AckEvent, backoff: Backoff, wait_s: float) -> None:
        await asyncio.sleep(wait_s)
        # A connection lost meanwhile ends the session; the next one sends every ack.
        with contextlib.suppress(aiomqtt.MqttError):
            await self.send(ack, backoff)

    def close(self) -> None:
        for retry in self._retries:
            retry.cancel()


class MqttSession:
    transport = "mqtt"

    def __init__(
        self,
        block: PushBlock,
        login: PushLogin,
        *,
        on_subscribed: Callable[[PushLogin], None],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._block = block
        self._login = login
        self._on_subscribed = on_subscribed
        self._tls = tls

    def _client(self) -> _HeardClient:
        block = self._block
        url = urlsplit(block.url or "")
        tls = url.scheme == "mqtts"
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = block.session_expiry_s
        will = (
            aiomqtt.Will(block.presence_topic, OFFLINE, qos=1, retain=True)
            if block.presence_topic
            else None
        )
        return _HeardClient(
            url.hostname or "127.0.0.1",
            url.port or (8883 if tls else 1883),
            username=self._login.username,
            password=self._login.password,
            identifier=block.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=tuple(block.topics) != self._login.topics,
            properties=properties,
            will=will,
            keepalive=60,
            timeout=10,
            tls_context=(self._tls or ssl.create_default_context()) if tls else None,
        )

    async def run(self, handler: PushHandler) -> None:
        block = self._block
        try:
            async with self._client() as client:
                if block.presence_topic:
                    await client.publish(block.presence_topic, ONLINE, qos=1, retain=True)
                granted = await client.subscribe([(topic, 1) for topic in block.topics])
                refused = [
                    t for t, code in zip(block.topics, granted, strict=False) if _failed(code)
                ]
                if refused:
                    log.warning("push: the broker refused the topics %s", ", ".join(refused))
                self._on_subscribed(
                    PushLogin(self._login.username, self._login.password, tuple(block.topics))
                )

                async def beat(heartbeat: Heartbeat) -> None:
                    if block.heartbeat_topic:
                        payload = heartbeat.model_dump_json()
                        await client.publish(block.heartbeat_topic, payload, qos=0)

                handler.connected(self.transport, beat if block.heartbeat_topic else None)

                acks = _AckSender(client, block.acks_topic)

                async def read() -> None:
                    async for message in client.messages:
                        payload = message.payload
                        if isinstance(payload, bytes | str):
                            handler.on_message(payload)

                try:
                    await converse(handler, acks.send, read)
                finally:
                    acks.close()
        except aiomqtt.MqttCodeError as exc:
            if _code(exc.rc) in REFUSED:
                raise PushRefused(f"the broker refused the station's credentials ({exc})") from exc
            raise


def _code(rc: object) -> int | None:
    value = getattr(rc, "value", rc)
    return value if isinstance(value, int) else None


def _failed(code: object) -> bool:
    value = _code(code)
    return value is not None and value >= 0x80
