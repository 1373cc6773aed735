"""Push, the agent's side, behind one interface (DESIGN.md: push is a hint, pull is the
truth): the server's own WebSocket event channel, or MQTT through a broker
(stations/agent/push_mqtt.py), as the manifest's push block says. Either way the messages
are the protocol's server events, read by one handler, and acks go back the same way.

A session is one connection's life: it sends every ack known first (one lost with the last
connection is not lost for good), then each as it comes, and hands every message to the
handler until the connection ends (it returns) or fails (it raises). The runtime dials
again with its own jittered backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from typing import Protocol

import websockets
from websockets.asyncio.client import ClientConnection, connect

from stations.agent.link import detail_of
from stations.protocol import EVENTS_PATH, AckEvent, Heartbeat, encode_event


class PushRefused(Exception):
    """The server or broker refused this station's credentials."""


# Sends a heartbeat over the session (MQTT); the WebSocket channel carries none.
HeartbeatSender = Callable[[Heartbeat], Awaitable[None]]


class PushHandler(Protocol):
    def on_message(self, message: str | bytes) -> None: ...

    def known_acks(self) -> list[AckEvent]: ...

    async def next_ack(self) -> AckEvent: ...

    def connected(self, transport: str, heartbeat: HeartbeatSender | None = None) -> None: ...


class PushSession(Protocol):
    transport: str

    async def run(self, handler: PushHandler) -> None: ...


async def converse(
    handler: PushHandler,
    send: Callable[[AckEvent], Awaitable[None]],
    messages: Callable[[], Awaitable[None]],
) -> None:
    """Send the acks (all known, then each new one) while `messages` reads until the
    connection ends."""
    for ack in handler.known_acks():
        await send(ack)

    async def send_acks() -> None:
        while True:
            await send(await handler.next_ack())

    sender = asyncio.create_task(send_acks())
    try:
        await messages()
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        if sender.done() and not sender.cancelled() and sender.exception() is not None:
            raise sender.exception()  # type: ignore[misc]


class WebSocketSession:
    """The server's own event channel (/agent/v1/events), with the station token."""

    transport = "websocket"

    def __init__(self, events_url: str, token: str, tls: ssl.SSLContext | None = None) -> None:
        self._url = events_url + EVENTS_PATH
        self._headers = {"Authorization": f"Bearer {token}"}
        self._tls = tls if self._url.startswith("wss:") else None

    async def run(self, handler: PushHandler) -> None:
        try:
            async with connect(
                self._url, additional_headers=self._headers, open_timeout=10, ssl=self._tls
            ) as ws:
                handler.connected(self.transport)
                await converse(
                    handler, lambda ack: ws.send(encode_event(ack)), _reader(ws, handler)
                )
        except websockets.InvalidStatus as exc:
            if exc.response.status_code == 401:
                raise PushRefused(detail_of(exc.response.body)) from exc
            raise


def _reader(ws: ClientConnection, handler: PushHandler) -> Callable[[], Awaitable[None]]:
    async def read() -> None:
        async for message in ws:
            handler.on_message(message)

    return read
