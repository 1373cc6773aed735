"""Agent protocol v1 (DESIGN.md): the HTTP routes station agents call with their token.

Each route does all its database work in one thread-pool call with short sessions of its
own: a request never holds a connection (or SQLite's write lock) while it waits for a
thread, which under load is how a server seizes up. The fleet polls these routes all day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from core.areas.models import Area
from core.clock import Clock
from core.db import Database
from core.deps import ClockDep, SessionDep
from core.errors import NotFound
from stations.fleet import asrun, enrolment
from stations.fleet.auth import BAD_TOKEN, StationToken, unauthorized
from stations.fleet.directory import DirectoryDep, PollDirectory
from stations.fleet.enrolment import token_digest
from stations.fleet.health import HeartbeatBuffer
from stations.fleet.mqtt.server_client import MqttPush, PushUnavailable
from stations.fleet.push_plan import PushPlan, area_ids_of, manifest_tag
from stations.fleet.sources import AlertSource, Caller, ManifestSource, StationAlerts
from stations.protocol import (
    PREFIX,
    AsRunBatch,
    AsRunReply,
    EnrollReply,
    EnrollRequest,
    Heartbeat,
    HeartbeatReply,
    Manifest,
    PushCredentials,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["agent protocol v1 (trạm)"])


@dataclass(frozen=True, slots=True)
class Parts:
    database: Database
    manifests: ManifestSource
    alerts: AlertSource
    clock: Clock
    heartbeats: HeartbeatBuffer
    directory: PollDirectory
    # (nginx's internal location, the content store's root): files go out through nginx.
    accel: tuple[str, FilePath] | None = None
    push_plan: PushPlan = PushPlan()  # noqa: RUF009 (frozen: one shared default is right)
    mqtt: MqttPush | None = None

    def tag(self, caller: Caller, alerts: StationAlerts) -> str:
        """What the manifest's ETag carries beside its build."""
        return manifest_tag(caller, alerts, self.push_plan)

    def identify(self, token: str) -> Caller:
        caller = self.directory.identify(
            token_digest(token),
            lambda _: self.manifests.identify(database=self.database, token=token),
        )
        if caller is None:
            raise unauthorized(BAD_TOKEN)
        return caller


def _parts(request: Request) -> Parts:
    state = request.app.state
    return Parts(
        state.database,
        state.manifests,
        state.alerts,
        state.clock,
        state.heartbeats,
        state.directory,
        state.files_accel,
        state.push_plan,
        state.mqtt,
    )


def area_ids(database: Database, area_id: int) -> list[int]:
    with database.session() as session:
        area = session.get(Area, area_id)
    return area_ids_of(area.path) if area is not None else [area_id]


@router.post(
    "/enroll",
    response_model=EnrollReply,
    status_code=status.HTTP_201_CREATED,
    summary="Trade a one-time enrolment code for a station token",
    responses={403: {"description": "the code is unknown, already used or expired"}},
)
def enroll(
    http: Request,
    session: SessionDep,
    clock: ClockDep,
    directory: DirectoryDep,
    request: EnrollRequest,
) -> EnrollReply:
    enrolled = enrolment.redeem_code(session=session, request=request, now=clock.now())
    session.commit()
    directory.forget_stations([enrolled.station_id])  # its previous token, if any
    credentials = None
    mqtt: MqttPush | None = http.app.state.mqtt
    if mqtt is not None:
        # Without them the station still enrols: it asks for them when it first connects.
        try:
            areas = area_ids(http.app.state.database, enrolled.area_id)
            credentials = mqtt.grant(enrolled.station_id, areas)
        except PushUnavailable as exc:
            log.warning("enrolment: no MQTT credentials for #%d yet: %s", enrolled.station_id, exc)
    return EnrollReply(
        station_id=enrolled.station_id, token=enrolled.token, push_credentials=credentials
    )


@router.post(
    "/push-credentials",
    response_model=PushCredentials,
    summary="New MQTT credentials for the station, replacing its old ones",
    responses={
        404: {"description": "this server pushes over its own event channel, not MQTT"},
        503: {"description": "the broker is not reachable now; try again later"},
    },
)
async def push_credentials(request: Request, token: StationToken) -> Response:
    return await run_in_threadpool(_push_credentials, _parts(request), token)


def _push_credentials(parts: Parts, token: str) -> Response:
    station, _, _ = parts.identify(token)
    if parts.mqtt is None:
        raise NotFound("this server pushes over its own event channel (/agent/v1/events)")
    try:
        credentials = parts.mqtt.grant(
            station.station_id, area_ids(parts.database, station.area_id)
        )
    except PushUnavailable as exc:
        return JSONResponse(
            {"detail": f"{exc}; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    return Response(credentials.model_dump_json(), media_type="application/json")


@router.get(
    "/manifest",
    summary="The station's manifest; 304 when If-None-Match holds its ETag",
    responses={304: {"description": "unchanged"}, 503: {"description": "not built yet"}},
)
async def manifest(
    request: Request,
    token: StationToken,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    return await run_in_threadpool(_manifest, _parts(request), token, if_none_match)


def _manifest(parts: Parts, token: str, if_none_match: str | None) -> Response:
    caller = parts.identify(token)
    station, build, plays_test_alerts = caller
    now = parts.clock.now()
    alerts = parts.alerts.for_station(station.station_id, now)
    tag = parts.tag(caller, alerts)
    if build is not None and if_none_match == build.etag(tag):
        headers = {"ETag": build.etag(tag)}
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    with parts.database.session() as session:
        built = parts.manifests.manifest(session=session, station_id=station.station_id, now=now)
    if built is None:
        return JSONResponse(
            {"detail": "no playlist is built for this station yet; try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if tag:
        built = with_alerts(built, alerts, plays_test_alerts=plays_test_alerts, tag=tag)
    if parts.push_plan.mqtt:
        block = parts.push_plan.block(station.station_id, area_ids(parts.database, station.area_id))
        built = built.model_copy(update={"push": block})
    parts.heartbeats.fetched(station_id=station.station_id, version=built.version)
    return Response(
        built.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"ETag": built.etag(), "Cache-Control": "no-cache"},
    )


def with_alerts(
    manifest: Manifest, alerts: StationAlerts, *, plays_test_alerts: bool, tag: str
) -> Manifest:
    """The manifest with the station's alerts on the air and the files they need. Nothing
    is validated again: the manifest was when it was built, the alerts and their files when
    the alert board made them, and what spans both (every alert's files listed) holds by
    construction, as the files are the union of the two."""
    files = {f.sha256: f for f in manifest.files} | {f.sha256: f for f in alerts.files}
    return manifest.model_copy(
        update={
            "alerts": list(alerts.alerts),
            "files": [files[sha] for sha in sorted(files)],
            "plays_test_alerts": plays_test_alerts,
            "alerts_digest": tag,
        }
    )


@router.get(
    "/files/{sha256}",
    response_class=FileResponse,
    response_model=None,
    summary="A file the station's manifest names; Range and If-Range are honoured",
    responses={206: {"description": "a range"}},
)
async def read_file(
    request: Request,
    token: StationToken,
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="lower-case hex")],
) -> Response:
    return await run_in_threadpool(_file, _parts(request), token, sha256)


def _file(parts: Parts, token: str, sha256: str) -> Response:
    station, build, _ = parts.identify(token)
    alerts = parts.alerts.for_station(station.station_id, parts.clock.now())
    if sha256 in alerts.file_hashes():
        named = alerts.file_hashes()  # an alert's file: no query in an emergency's path
    elif build is None:
        named = frozenset()
    else:
        with parts.database.session() as session:
            named = parts.manifests.station_files(
                session=session, station_id=station.station_id, build=build
            )
    path = parts.manifests.file_path(sha256) if sha256 in named else None
    if path is None:
        raise NotFound(f"station #{station.station_id}'s manifest names no file {sha256}")
    headers = {"ETag": f'"{sha256}"'}
    if parts.accel is not None:
        # nginx sends the bytes (its internal location sets the same ETag); Python only
        # decided that this station may have them.
        location, root = parts.accel
        headers["X-Accel-Redirect"] = location + path.relative_to(root).as_posix()
        return Response(media_type="application/octet-stream", headers=headers)
    return FileResponse(path, media_type="application/octet-stream", headers=headers)


@router.post(
    "/asrun",
    response_model=AsRunReply,
    summary="Report what was played; each record id is stored once",
)
async def report_asrun(request: Request, token: StationToken, batch: AsRunBatch) -> AsRunReply:
    return await run_in_threadpool(_asrun, _parts(request), token, batch)


def _asrun(parts: Parts, token: str, batch: AsRunBatch) -> AsRunReply:
    station, _, _ = parts.identify(token)
    with parts.database.session(write=True) as session:
        accepted, duplicates = asrun.store_records(
            session=session, station=station, records=batch.root, now=parts.clock.now()
        )
        session.commit()
    return AsRunReply(accepted=accepted, duplicates=duplicates)


@router.post(
    "/heartbeat",
    response_model=HeartbeatReply,
    summary="The station is alive (written with the others once a second)",
)
async def heartbeat(request: Request, token: StationToken, beat: Heartbeat) -> Response:
    return await run_in_threadpool(_heartbeat, _parts(request), token, beat)


def _heartbeat(parts: Parts, token: str, beat: Heartbeat) -> Response:
    caller = parts.identify(token)
    station, build, _ = caller
    now = parts.clock.now()
    parts.heartbeats.add(station_id=station.station_id, beat=beat, now=now)
    alerts = parts.alerts.for_station(station.station_id, now)
    reply = HeartbeatReply(
        server_time=now,
        manifest_version=build.version if build else None,
        build_id=build.build_id if build else None,
        alerts_digest=parts.tag(caller, alerts) if build else None,
    )
    return Response(reply.model_dump_json(), media_type="application/json")
