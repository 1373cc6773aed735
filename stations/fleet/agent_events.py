"""Agent protocol v1: the event channel (WebSocket). Server → agent: hints that a new
manifest is out (at once on connecting, then on each change), alerts as they go on and off
the air, and "revoked" before it closes a revoked station's channel. Agent → server: alert
acknowledgements. Every message is one of stations/protocol.py's event models.

A handshake without a valid station token is refused with HTTP 401, as every agent route
answers (the ASGI WebSocket denial response, which uvicorn and Starlette's test client
support); a server without that extension closes before accepting (its 403)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from core.clock import Clock
from stations.fleet.auth import BAD_TOKEN, NO_TOKEN
from stations.fleet.events import REVOKED, EventHub
from stations.fleet.push_plan import manifest_tag
from stations.fleet.sources import AckSink, AlertSource, Caller, ManifestSource
from stations.protocol import PREFIX, AckEvent, ManifestEvent, encode_event

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX)


@router.websocket("/events")
async def events(websocket: WebSocket) -> None:
    """Server → agent: {"type": "manifest", ...} at once on connecting and on each change;
    {"type": "alert", ...} as alerts go on and off the air. Agent → server: {"type": "ack",
    "alert_id", "stage", "at"} as an alert is received, started and finished."""
    caller, refusal = await run_in_threadpool(_authenticate, websocket)
    if caller is None:
        await _refuse(websocket, refusal)
        return
    state = websocket.app.state
    hub: EventHub = state.events
    station_id = caller.station.station_id
    await websocket.accept()
    queue = hub.connect(station_id)
    try:
        if caller.build is not None:
            alerts: AlertSource = state.alerts
            view = alerts.for_station(station_id, state.clock.now())
            hint = ManifestEvent(
                type="manifest",
                version=caller.build.version,
                build_id=caller.build.build_id,
                alerts_digest=manifest_tag(caller, view, state.push_plan),
            )
            await websocket.send_text(encode_event(hint))
        await _serve(websocket, queue, partial(acknowledged, state.acks, state.clock, station_id))
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(station_id, queue)


async def _serve(
    websocket: WebSocket, queue: asyncio.Queue[str], on_ack: Callable[[AckEvent], None]
) -> None:
    """This coroutine writes, one task reads: nothing is made per message, which matters
    when one alert goes to ten thousand connections at once. The reader's end (the agent
    went away) wakes the writer through the queue."""
    receiver = asyncio.create_task(_receive(websocket, on_ack))
    receiver.add_done_callback(lambda _: _put(queue, _CLOSED))
    try:
        while (text := await queue.get()) != _CLOSED:
            await websocket.send_text(text)
            if text == REVOKED:
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
                return
        receiver.result()  # the disconnection, or what broke the reader
    finally:
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await receiver


# Never a message: the writer's cue that the reader has ended.
_CLOSED = ""


def _put(queue: asyncio.Queue[str], text: str) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(text)


async def _receive(websocket: WebSocket, on_ack: Callable[[AckEvent], None]) -> None:
    while True:
        text = await websocket.receive_text()
        try:
            ack = AckEvent.model_validate_json(text)
        except ValidationError:
            log.warning("events: ignoring a message that is not an ack: %.200r", text)
            continue
        on_ack(ack)


def acknowledged(acks: AckSink, clock: Clock, station_id: int, ack: AckEvent) -> None:
    # The agent's own time is kept when it gives one (an ack repeated after a reconnection
    # says when it really happened), but never a time ahead of the server's.
    now = clock.now()
    acks.add(
        station_id=station_id,
        alert_id=ack.alert_id,
        stage=ack.stage,
        at=min(ack.at, now) if ack.at is not None else now,
    )


WEBSOCKET_DENIAL = "websocket.http.response"


def _authenticate(websocket: WebSocket) -> tuple[Caller | None, str]:
    """The caller, or None and why not."""
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, NO_TOKEN
    manifests: ManifestSource = websocket.app.state.manifests
    caller = manifests.identify(database=websocket.app.state.database, token=token.strip())
    return caller, BAD_TOKEN


async def _refuse(websocket: WebSocket, detail: str) -> None:
    """401 to the handshake, with the same body and header as the HTTP routes' 401."""
    if WEBSOCKET_DENIAL in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            JSONResponse(
                {"detail": detail},
                status_code=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer"},
            )
        )
    else:  # the server answers 403 to a handshake closed before it is accepted
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
