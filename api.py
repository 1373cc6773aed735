"""The FastAPI app: each package's routes mounted, shared parts on app.state."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI, status

from alerts.acks import AckBuffer
from alerts.audio import alert_uses_file
from alerts.board import AlertBoard
from alerts.cap_routes import CAP_PATH
from alerts.cap_routes import router as cap_router
from alerts.export.routes import router as cap_export_router
from alerts.feeds.poller import build_feed_poller
from alerts.feeds.routes import router as cap_feeds_router
from alerts.notify import notifier
from alerts.order_routes import router as orders_router
from alerts.routes import router as alerts_router
from audio.errors import AudioRejected, AudioToolError
from core.areas.routes import router as areas_router
from core.audit.routes import router as audit_router
from core.auth.routes import router as auth_router
from core.auth.users_routes import router as users_router
from core.clock import Clock, SystemClock
from core.collector import hold_collector
from core.config import Settings, load_settings
from core.db import Database
from core.errors import install_error_handlers, plain_handler
from core.health import router as health_router
from core.limits import BodySizeLimit
from core.openapi import declare_errors
from core.shedding import LoadShedder
from playlists.content.routes import UPLOAD_PATHS
from playlists.content.routes import router as content_router
from playlists.content.services import build_content_services, content_root
from playlists.content.uploads import UploadJobs
from playlists.content.workflow import WorkflowError
from playlists.sessions.routes import router as sessions_router
from playlists.timelines.manifest import TimelineManifests
from playlists.timelines.routes import router as timelines_router
from reports.alert_routes import router as alert_reports_router
from reports.export_routes import router as report_exports_router
from reports.routes import router as reports_router
from scheduler.service import build_scheduler
from stations.fleet.agent_events import router as agent_events_router
from stations.fleet.agent_routes import router as agent_router
from stations.fleet.directory import PollDirectory
from stations.fleet.enrolment import EnrollmentRefused
from stations.fleet.events import EventHub
from stations.fleet.fast_poll import ManifestNotModified
from stations.fleet.health import HeartbeatBuffer
from stations.fleet.mqtt.server_client import MqttPush
from stations.fleet.push import Pushes
from stations.fleet.push_plan import PushPlan
from stations.fleet.routes import router as fleet_router
from stations.protocol import PREFIX
from stations.routes import router as stations_router
from web.admin_areas import router as admin_areas_router
from web.admin_groups import router as admin_groups_router
from web.admin_import import router as admin_import_router
from web.admin_pages import router as admin_pages_router
from web.admin_policy import router as admin_policy_router
from web.admin_users import router as admin_users_router
from web.alert_pages import router as alert_pages_router
from web.asrun_pages import router as asrun_pages_router
from web.assets import packaged_assets
from web.assets import router as assets_router
from web.broadcast_pages import router as broadcast_pages_router
from web.cap_import_pages import CAP_PAGE_PATH
from web.cap_import_pages import router as cap_import_pages_router
from web.content_new import router as new_content_pages_router
from web.content_pages import router as library_pages_router
from web.errors import install_page_handlers
from web.help_pages import router as help_pages_router
from web.live import LiveNotModified
from web.proof_pages import router as proof_pages_router
from web.queue_pages import router as queue_pages_router
from web.report_downloads import router as report_downloads_router
from web.report_pages import router as report_pages_router
from web.report_print import print_report
from web.review_pages import router as review_pages_router
from web.routes import router as pages_router
from web.schedule_pages import router as schedule_router
from web.sessions_pages import router as sessions_pages_router
from web.station_board import router as station_board_router
from web.station_pages import router as station_pages_router
from web.upload_pages import UPLOAD_PAGE_PATHS
from web.upload_pages import router as upload_pages_router
from workers import ServerWorkers

log = logging.getLogger(__name__)

# Every router the app mounts; tests walk these for the route table.
ROUTERS = (
    # The fleet's routes first: they take most of the traffic, and routes match in order.
    agent_router,
    agent_events_router,
    health_router,
    auth_router,
    users_router,
    areas_router,
    audit_router,
    content_router,
    stations_router,
    sessions_router,
    timelines_router,
    fleet_router,
    alerts_router,
    orders_router,
    # POST /api/v1/alerts/cap: no POST /{alert_id} exists above it to match the path first.
    cap_router,
    cap_feeds_router,
    cap_export_router,
    reports_router,
    # GET /api/v1/reports/alerts/export before /alerts/{alert_id} would take the path.
    report_exports_router,
    alert_reports_router,
)

# The web pages: not in the API's schema, signed in by cookie (web/session.py).
# /content/new... before /content/{item_id}: a path matches the first route that fits it.
WEB_ROUTERS = (
    assets_router,
    pages_router,
    new_content_pages_router,
    upload_pages_router,
    library_pages_router,
    review_pages_router,
    help_pages_router,
    schedule_router,
    sessions_pages_router,
    queue_pages_router,
    # /reports/alerts/download before the page /reports/alerts/{alert_id} would take it.
    report_downloads_router,
    report_pages_router,
    proof_pages_router,
    # /stations/board before the page /stations/{station_id} would take it.
    station_board_router,
    station_pages_router,
    asrun_pages_router,
    # /alerts/import before the page /alerts/{alert_id} would take it.
    cap_import_pages_router,
    alert_pages_router,
    broadcast_pages_router,
    admin_pages_router,
    # /admin/areas/import before the page /admin/areas/{area_id} would take it.
    admin_import_router,
    admin_areas_router,
    admin_policy_router,
    admin_users_router,
    admin_groups_router,
)

DESCRIPTION = """
Loaxa schedules what commune radio stations (đài truyền thanh cấp xã) play over their
loudspeaker clusters. Sign in with `POST /api/v1/auth/login`, then send the token as
`Authorization: Bearer <token>`. Station agents speak the agent protocol under `/agent/v1/`
with their station token.
"""


def _mqtt_push(
    settings: Settings, acks: AckBuffer, heartbeats: HeartbeatBuffer, app: FastAPI
) -> MqttPush | None:
    if settings.push_transport != "mqtt" or settings.mqtt_password is None:
        return None
    return MqttPush(
        url=settings.mqtt_server_url or settings.mqtt_url or "",
        username=settings.mqtt_username,
        password=settings.mqtt_password.get_secret_value(),
        ca_file=settings.mqtt_ca_file,
        data_dir=settings.data_dir,
        acks=acks,
        heartbeats=heartbeats,
        clock=app.state.clock,
        # Read when publishing: the scheduler is made after this, and leads by its ticks.
        leading=lambda: bool(app.state.scheduler.leading),
    )


def _body_limits(settings: Settings):  # type: ignore[no-untyped-def]
    paths = (*UPLOAD_PATHS, *UPLOAD_PAGE_PATHS)
    uploads = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in paths]

    def limit_for(path: str) -> int:
        if any(pattern.match(path) for pattern in uploads):
            return settings.upload_max_bytes
        if path == CAP_PATH:  # CAP carries its media inline; the route counts them itself
            return settings.cap_max_bytes
        if path == CAP_PAGE_PATH:  # the same, in a form: room for the form's own parts
            return settings.cap_max_bytes + 64 * 1024
        return settings.max_body_bytes

    return limit_for


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or load_settings()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            # Imported here: alembic is a fifth of a second of every start, needed only now.
            from migrations.upgrade import upgrade

            upgrade(settings.database_url)
        await workers.start()
        try:
            yield
        finally:
            await workers.stop()

    app = FastAPI(title="Loaxa", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock or SystemClock()
    app.state.content = build_content_services(settings, file_users=[alert_uses_file])
    app.state.manifests = TimelineManifests(app.state.content.storage)
    app.state.directory = PollDirectory(database)
    app.state.files_accel = (
        (settings.files_accel_redirect, content_root(settings))
        if settings.files_accel_redirect
        else None
    )
    uploads = app.state.uploads = UploadJobs(
        database=database,
        services=app.state.content,
        clock=app.state.clock,
        sole_runner=database.is_sqlite,
    )
    events = app.state.events = EventHub()
    heartbeats = app.state.heartbeats = HeartbeatBuffer(
        database, offline_after=timedelta(seconds=settings.station_offline_after_s)
    )
    acks = app.state.acks = AckBuffer(database)
    app.state.push_plan = PushPlan(
        settings.push_transport, settings.mqtt_url, settings.mqtt_session_expiry_s
    )
    mqtt = app.state.mqtt = _mqtt_push(settings, acks, heartbeats, app)
    # The built-in channel always: agents without MQTT credentials yet, and older ones.
    push = app.state.push = Pushes(events, mqtt) if mqtt else Pushes(events)
    board = app.state.alerts = AlertBoard(
        database=database,
        events=push,
        clock=app.state.clock,
        interval_s=settings.alert_refresh_s,
        notify=notifier(database),
        before_push=hold_collector,
    )

    if mqtt is not None:
        mqtt.after_reconnect = lambda: board.republish(mqtt)

    def new_versions(builds: Mapping[int, tuple[int, str]]) -> None:
        # Forgotten before the hint goes: the agent's poll that follows gets the new build.
        app.state.directory.forget_stations(builds)
        push.publish_manifests(builds)

    app.state.scheduler = build_scheduler(
        settings, database, app.state.clock, on_new_versions=new_versions
    )
    workers = ServerWorkers(
        settings=settings,
        database=database,
        content=app.state.content,
        uploads=uploads,
        events=events,
        mqtt=mqtt,
        heartbeats=heartbeats,
        acks=acks,
        board=board,
        scheduler=app.state.scheduler,
        directory=app.state.directory,
        feeds=build_feed_poller(
            settings=settings,
            database=database,
            clock=app.state.clock,
            services=app.state.content,
            board=board,
        ),
    )
    install_error_handlers(app)
    declare_errors(app)
    app.add_exception_handler(AudioRejected, plain_handler(status.HTTP_422_UNPROCESSABLE_CONTENT))
    app.add_exception_handler(AudioToolError, plain_handler(status.HTTP_503_SERVICE_UNAVAILABLE))
    app.add_exception_handler(WorkflowError, plain_handler(status.HTTP_409_CONFLICT))
    app.add_exception_handler(EnrollmentRefused, plain_handler(status.HTTP_403_FORBIDDEN))
    app.add_middleware(BodySizeLimit, limit_for=_body_limits(settings))
    app.add_middleware(LoadShedder, prefix=PREFIX, limit=settings.agent_max_in_progress)
    # An unchanged live part's 204 (the status board's, an alert's delivery) likewise.
    app.add_middleware(LiveNotModified, state=app.state)
    # Outermost: an unchanged manifest's 304 costs nothing else (stations/fleet/fast_poll.py).
    app.add_middleware(ManifestNotModified, state=app.state)
    for router in ROUTERS:
        app.include_router(router)
    app.state.web_assets = packaged_assets()
    app.state.report_printer = print_report  # the PDF exports' (reports/pdf.py)
    install_page_handlers(app, WEB_ROUTERS)
    for router in WEB_ROUTERS:
        app.include_router(router)
    return app
