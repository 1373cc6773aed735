"""Agent protocol v1: the event channel (WebSocket). Server → agent: hints that a new
manifest is out (at once on connecting, then on each change), and "revoked" before it closes
a revoked station's channel. Agent → server: alert acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from stations.fleet.auth import StationIdentity, station_for_token
from stations.fleet.events import EventHub
from stations.fleet.sources import BuildRef, ManifestSource
from stations.protocol import PREFIX, AckEvent

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX)


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    """Server → agent: {"type": "manifest", "version"} (at once on connecting, then on each
    change). Agent → server: {"type": "ack", ...} for alerts."""
    station = await run_in_threadpool(_authenticate, websocket)
    if station is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    hub: EventHub = websocket.app.state.events
    manifests: ManifestSource = websocket.app.state.manifests
    await websocket.accept()
    queue = hub.connect(station.station_id)
    try:
        build = await run_in_threadpool(_current, websocket, manifests, station)
        if build is not None:
            await websocket.send_json(
                {"type": "manifest", "version": build.version, "build_id": build.build_id}
            )
        await _serve(websocket, queue)
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(station.station_id, queue)


async def _serve(websocket: WebSocket, queue: asyncio.Queue[dict[str, Any]]) -> None:
    receiver = asyncio.create_task(_receive(websocket))
    try:
        while not receiver.done():
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                message = getter.result()
                await websocket.send_json(message)
                if message.get("type") == "revoked":
                    await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
                    return
            else:
                getter.cancel()
        receiver.result()
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await receiver


async def _receive(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive_json()
        try:
            ack = AckEvent.model_validate(message)
        except ValidationError:
            log.warning("events: ignoring a message that is not an ack: %.200r", message)
            continue
        log.info("events: alert %s %s", ack.alert_id, ack.stage)


def _authenticate(websocket: WebSocket) -> StationIdentity | None:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    with websocket.app.state.database.session() as session:
        return station_for_token(session=session, token=token.strip())


def _current(
    websocket: WebSocket, manifests: ManifestSource, station: StationIdentity
) -> BuildRef | None:
    with websocket.app.state.database.session() as session:
        return manifests.current(session=session, station_id=station.station_id)
