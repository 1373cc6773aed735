"""The public CAP export: an Atom feed of an area's alerts and each alert as CAP 1.2.

Public, like the national warning feeds (NWS, Meteoalarm): what it carries is what the
loudspeakers already said aloud to everyone in the area (Actual alerts that went on the
air), and the neighbouring systems and portals that poll it should not need an account
here. Drafts, refused alerts, exercises and tests are never in it, nor who wrote or approved
what."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from alerts.export.atom import (
    CAP_MEDIA_TYPE,
    PUBLISHED_STATES,
    AtomFeed,
    atom_document,
    published_alerts,
)
from alerts.export.cap_writer import cap_document, cap_source
from alerts.models import Alert, AlertStatus
from core.areas.models import Area
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import NotFound
from core.models import PathId

PREFIX = "/api/v1/public"
router = APIRouter(prefix=PREFIX, tags=["public CAP export"])

ATOM_PATH = "/areas/{area_id}/alerts.atom"
CAP_PATH = "/alerts/{alert_id}.cap"
# Polled by machines: a short cache, and a 304 when nothing changed.
CACHE = "public, max-age=30"


@router.get(
    ATOM_PATH,
    summary="Atom feed of the Actual alerts that went on the air in an area's subtree",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}, 304: {"description": "unchanged"}},
)
def area_feed(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, area_id: PathId
) -> Response:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound(f"area #{area_id} does not exist")
    now = clock.now()
    alerts = published_alerts(
        session=session,
        area=area,
        now=now,
        window=timedelta(hours=settings.cap_export_window_h),
    )
    base = str(request.base_url).rstrip("/") + PREFIX
    feed = AtomFeed(
        url=base + ATOM_PATH.format(area_id=area_id),
        title=f"Loaxa: cảnh báo khẩn cấp, {area.name}",
        cap_url=lambda alert: base + CAP_PATH.format(alert_id=alert.id),
    )
    return _conditional(request, atom_document(feed, alerts, now=now), "application/atom+xml")


@router.get(
    CAP_PATH,
    summary="An Actual alert that went on the air, as a CAP 1.2 document",
    response_class=Response,
    responses={200: {"content": {CAP_MEDIA_TYPE: {}}}, 304: {"description": "unchanged"}},
)
def alert_document(
    request: Request, session: SessionDep, settings: SettingsDep, alert_id: PathId
) -> Response:
    alert = session.get(Alert, alert_id)
    if alert is None or not _published(alert):
        raise NotFound(f"alert #{alert_id} is not published: no such alert on the air")
    source = cap_source(session=session, alert=alert, local_sender=settings.cap_export_sender)
    return _conditional(request, cap_document(alert, source), CAP_MEDIA_TYPE)


def _published(alert: Alert) -> bool:
    states = {s.value for s in PUBLISHED_STATES}
    return alert.status == AlertStatus.actual.value and alert.state in states


def _conditional(request: Request, body: bytes, media_type: str) -> Response:
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
