"""Push over MQTT 5, the agent's side: the broker and topics the manifest's push block
names, signed in with the station's own credentials.

The session is persistent (clean start off, the block's session expiry, the client id
keyed by the station), so what the server publishes while the station is away — an alert
during a broker restart or a 4G outage — reaches it when it returns, without a
resubscribe. When the topics change (the station moved to another commune) the session
starts clean once, so no subscription of the old area outlives the move. Presence: a
retained "online" on connecting, and a last will, retained "offline", that the broker sends
when the station goes without a goodbye.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from stations.agent.credentials import PushLogin
from stations.agent.push import PushHandler, PushRefused, converse
from stations.protocol import AckEvent, Heartbeat, PushBlock, encode_event

log = logging.getLogger("loaxa.agent")

# CONNACK reason codes that say the credentials are wrong, not that the broker is unwell.
REFUSED = {134, 135}  # bad user name or password, not authorised
ONLINE = json.dumps({"online": True})
OFFLINE = json.dumps({"online": False})


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

    def _client(self) -> aiomqtt.Client:
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
        return aiomqtt.Client(
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

                async def send(ack: AckEvent) -> None:
                    if block.acks_topic:
                        await client.publish(block.acks_topic, encode_event(ack), qos=1)

                async def read() -> None:
                    async for message in client.messages:
                        payload = message.payload
                        if isinstance(payload, bytes | str):
                            handler.on_message(payload)

                await converse(handler, send, read)
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
