"""Agent protocol v1 (DESIGN.md): the routes station agents call with their token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response, WebSocket, WebSocketDisconnect, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError

from core.deps import ClockDep, SessionDep
from core.errors import NotFound
from stations.fleet import asrun, enrolment, health
from stations.fleet.auth import StationDep, StationIdentity, station_for_token
from stations.fleet.events import EventHub
from stations.fleet.sources import BuildRef, ManifestsDep, ManifestSource
from stations.protocol import (
    PREFIX,
    AckEvent,
    AsRunBatch,
    AsRunReply,
    EnrollReply,
    EnrollRequest,
    Heartbeat,
    HeartbeatReply,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["agent protocol v1 (trạm)"])


@router.post(
    "/enroll",
    response_model=EnrollReply,
    status_code=status.HTTP_201_CREATED,
    summary="Trade a one-time enrolment code for a station token",
)
def enroll(session: SessionDep, clock: ClockDep, request: EnrollRequest) -> EnrollReply:
    enrolled = enrolment.enroll(session=session, request=request, now=clock.now())
    session.commit()
    return EnrollReply(station_id=enrolled.station_id, token=enrolled.token)


@router.get(
    "/manifest",
    summary="The station's manifest; 304 when If-None-Match holds its version",
    responses={304: {"description": "unchanged"}, 503: {"description": "not built yet"}},
)
def manifest(
    session: SessionDep,
    station: StationDep,
    manifests: ManifestsDep,
    clock: ClockDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    build = manifests.current(session=session, station_id=station.station_id)
    if build is not None and if_none_match == build.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": build.etag})
    built = manifests.manifest(session=session, station_id=station.station_id, now=clock.now())
    if built is None:
        return JSONResponse(
            {"detail": "no playlist is built for this station yet; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    return Response(
        built.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"ETag": built.etag(), "Cache-Control": "no-cache"},
    )


@router.get(
    "/files/{sha256}",
    response_class=FileResponse,
    summary="A file the station's manifest names; Range and If-Range are honoured",
    responses={206: {"description": "a range"}},
)
def read_file(
    session: SessionDep,
    station: StationDep,
    manifests: ManifestsDep,
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="lower-case hex")],
) -> FileResponse:
    build = manifests.current(session=session, station_id=station.station_id)
    named = (
        manifests.station_files(session=session, station_id=station.station_id, build=build)
        if build is not None
        else frozenset()
    )
    path = manifests.file_path(sha256) if sha256 in named else None
    if path is None:
        raise NotFound(f"station #{station.station_id}'s manifest names no file {sha256}")
    return FileResponse(
        path, media_type="application/octet-stream", headers={"ETag": f'"{sha256}"'}
    )


@router.post(
    "/asrun",
    response_model=AsRunReply,
    summary="Report what was played; each record id is stored once",
)
def report_asrun(
    session: SessionDep, station: StationDep, clock: ClockDep, batch: AsRunBatch
) -> AsRunReply:
    accepted, duplicates = asrun.store_records(
        session=session, station=station, records=batch.root, now=clock.now()
    )
    session.commit()
    return AsRunReply(accepted=accepted, duplicates=duplicates)


@router.post("/heartbeat", response_model=HeartbeatReply, summary="The station is alive")
def heartbeat(
    session: SessionDep,
    station: StationDep,
    manifests: ManifestsDep,
    clock: ClockDep,
    beat: Heartbeat,
) -> HeartbeatReply:
    build = manifests.current(session=session, station_id=station.station_id)
    health.record_heartbeat(
        session=session, station_id=station.station_id, beat=beat, now=clock.now()
    )
    session.commit()
    return HeartbeatReply(
        server_time=clock.now(),
        manifest_version=build.version if build else None,
        build_id=build.build_id if build else None,
    )


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
