"""The event channel's server side: the agents connected to this process, by station.

Push is a hint ("pull now"); the manifest stays the truth, so a message lost with a dropped
connection costs at most one poll interval. Publishing is safe from any thread (the
scheduler's): delivery happens on the event loop that serves the WebSockets.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import Depends, Request

from stations.fleet.push import AlertReach
from stations.protocol import AlertEvent, ManifestEvent, RevokedEvent, ServerEvent, encode_event

log = logging.getLogger(__name__)

# Messages waiting for one slow connection at most; beyond that the oldest hint is dropped
# (a newer "manifest" hint says the same and more).
QUEUE_SIZE = 64


# What a revoked station's channel is told before it closes.
REVOKED = encode_event(RevokedEvent(type="revoked"))


class EventHub:
    """Messages are the protocol's event models (stations/protocol.py), encoded once as
    JSON text however many agents they reach: an alert to ten thousand stations is one
    encoding and one hop onto the event loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: dict[int, set[asyncio.Queue[str]]] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def connect(self, station_id: int) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self._queues.setdefault(station_id, set()).add(queue)
        return queue

    def disconnect(self, station_id: int, queue: asyncio.Queue[str]) -> None:
        queues = self._queues.get(station_id, set())
        queues.discard(queue)
        if not queues:
            self._queues.pop(station_id, None)

    def connected(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def publish_manifests(self, builds: Mapping[int, tuple[int, str]]) -> None:
        """Tell each station's connected agents that its manifest has a new build."""
        for station_id, (version, build_id) in builds.items():
            self.publish(
                station_id, ManifestEvent(type="manifest", version=version, build_id=build_id)
            )

    def revoke(self, station_id: int) -> None:
        """Close the station's connections: its token no longer opens the channel."""
        self._send([station_id], REVOKED)

    def publish_alert(self, event: AlertEvent, reach: AlertReach) -> None:
        self.publish_many(reach.stations, event)

    def moved(self, station_id: int) -> None:
        """Nothing to do: this channel carries the station's own messages only (an alert's
        stations are chosen by the alert board), wherever it stands."""

    def publish(self, station_id: int, event: ServerEvent) -> None:
        self._send([station_id], encode_event(event))

    def publish_many(self, station_ids: Sequence[int], event: ServerEvent) -> None:
        """The same event to many stations, encoded once whatever their number."""
        if not station_ids:
            return
        self._send(station_ids, encode_event(event))

    def _send(self, station_ids: Sequence[int], text: str) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, station_ids, text)

    def _deliver(self, station_ids: Sequence[int], text: str) -> None:
        for station_id in station_ids:
            for queue in self._queues.get(station_id, ()):
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(text)


def get_events(request: Request) -> EventHub:
    hub: EventHub = request.app.state.events
    return hub


EventsDep = Annotated[EventHub, Depends(get_events)]
