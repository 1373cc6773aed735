"""Emergency alerts (bản tin khẩn cấp): drafted by an operator, issued by an approver (or at
once by one person holding both rights, when the policy allows), with proof of delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import FileResponse

from alerts import crud, review
from alerts.board import AlertBoardDep
from alerts.issuing import create_and_maybe_issue
from alerts.models import AlertCreate, AlertDetail, AlertPublic, AlertsPublic, AlertSummary
from alerts.views import alert_detail, alert_images, alert_public, alert_summary
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import NotFound
from core.models import PathId
from core.paging import PageDep
from playlists.content.services import ContentServicesDep

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts (khẩn cấp)"])

Read = Annotated[AccessControl, Depends(Permission(Action.alert_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.alert_write))]
Approve = Annotated[AccessControl, Depends(Permission(Action.alert_approve))]


@router.post(
    "",
    response_model=AlertSummary,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an alert, an Update or a Cancel; with issue_now, issue it at once",
)
def create_alert(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    body: AlertCreate,
) -> AlertSummary:
    return create_and_maybe_issue(
        session=session,
        access=access,
        clock=clock,
        settings=settings,
        services=services,
        board=board,
        alert_in=body,
    )


@router.post(
    "/{alert_id}/approve",
    response_model=AlertSummary,
    summary="Approve a pending alert: it goes on the air at once (never the author's own)",
)
def approve_alert(
    session: SessionDep,
    access: Approve,
    clock: ClockDep,
    board: AlertBoardDep,
    alert_id: PathId,
) -> AlertSummary:
    alert = review.approve_alert(
        session=session, access=access, board=board, alert_id=alert_id, now=clock.now()
    )
    return alert_summary(session=session, alert=alert)


@router.post("/{alert_id}/reject", response_model=AlertPublic, summary="Refuse a pending alert")
def reject_alert(
    session: SessionDep, access: Approve, clock: ClockDep, alert_id: PathId
) -> AlertPublic:
    alert = review.reject_alert(session=session, access=access, alert_id=alert_id, now=clock.now())
    return alert_public(alert)


@router.get("", response_model=AlertsPublic, summary="Alerts in your scope, newest first")
def list_alerts(session: SessionDep, access: Read, page: PageDep) -> AlertsPublic:
    rows, total = crud.list_alerts(session=session, prefixes=access.scope_prefixes(), page=page)
    return AlertsPublic(data=[alert_public(a) for a in rows], count=total)


@router.get(
    "/{alert_id}",
    response_model=AlertDetail,
    summary="One alert, with each station's acknowledgement: received, started, finished",
)
def read_alert(
    session: SessionDep, access: Read, clock: ClockDep, settings: SettingsDep, alert_id: PathId
) -> AlertDetail:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    access.require_area(alert.area_id, what=f"alert #{alert_id}")
    return alert_detail(session=session, alert=alert, settings=settings, now=clock.now())


@router.get(
    "/{alert_id}/images/{sha256}",
    response_class=FileResponse,
    summary="An image the alert's CAP sender attached (see the alert's `images`)",
    responses={200: {"content": {"image/*": {}}, "description": "the image's bytes"}},
)
def read_alert_image(
    session: SessionDep,
    access: Read,
    services: ContentServicesDep,
    alert_id: PathId,
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="lower-case hex")],
) -> FileResponse:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    access.require_area(alert.area_id, what=f"alert #{alert_id}")
    image = next((i for i in alert_images(alert) if i.sha256 == sha256), None)
    if image is None or not services.storage.exists(sha256):
        raise NotFound(f"alert #{alert_id} has no image {sha256}")
    return FileResponse(
        services.storage.path(sha256),
        media_type=image.mime_type,
        headers={
            "ETag": f'"{sha256}"',
            # Served as what was checked (alerts/cap_media.py), never sniffed as anything else.
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )
