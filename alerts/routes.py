"""Emergency alerts (bản tin khẩn cấp): drafted by an operator, issued by an approver (or at
once by one person holding both rights, when the policy allows), with proof of delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlmodel import Session, col, select

from alerts import crud
from alerts.audio import alert_audio
from alerts.models import Alert, AlertCreate, AlertDetail, AlertPublic, AlertsPublic
from alerts.views import detail, public
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action, Forbidden, in_scope
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Invalid
from core.models import PathId
from core.paging import PageDep
from playlists.content.services import ContentServicesDep
from stations.areas.models import Area
from stations.fleet.events import EventHub, EventsDep

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts (khẩn cấp)"])

Read = Annotated[AccessControl, Depends(Permission(Action.alert_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.alert_write))]
Approve = Annotated[AccessControl, Depends(Permission(Action.alert_approve))]


@router.post(
    "",
    response_model=AlertDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an alert, an Update or a Cancel; with issue_now, issue it at once",
)
def create_alert(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    events: EventsDep,
    body: AlertCreate,
) -> AlertDetail:
    targets = crud.targets_of(session=session, alert_in=body)
    # Checked on the targets the alert will really reach: a Cancel naming none reaches
    # those of the alert it cancels, which must lie in the caller's scope too.
    _require_scope(access, body.area_id, targets[0], what="the alert", field="target_area_ids")
    if body.issue_now:
        paths = _paths(access.session, [body.area_id, *targets[0]])
        _require_single_confirmation(access, paths, allowed=settings.alert_single_confirmation)
    audio = alert_audio(session=session, access=access, services=services, alert_in=body)
    alert = crud.create_alert(
        session=session,
        alert_in=body,
        targets=targets,
        audio=audio,
        actor=access.actor,
        now=clock.now(),
    )
    stations: list[int] = []
    if body.issue_now:
        stations = crud.issue(
            session=session, alert=alert, actor=access.actor, now=clock.now(), single=True
        )
    session.commit()
    _publish(events, stations, alert)
    return detail(session=session, alert=alert, settings=settings, now=clock.now())


@router.post(
    "/{alert_id}/approve",
    response_model=AlertDetail,
    summary="Approve a pending alert: it goes on the air at once (never the author's own)",
)
def approve_alert(
    session: SessionDep,
    access: Approve,
    clock: ClockDep,
    settings: SettingsDep,
    events: EventsDep,
    alert_id: PathId,
) -> AlertDetail:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    _require_scope(access, alert.area_id, alert.target_ids()[0], what=f"alert #{alert_id}")
    if alert.created_by == access.principal.user_id:
        raise Forbidden(
            "four eyes: an alert is approved by someone other than its author "
            "(or issued at once with issue_now, where the policy allows it)"
        )
    stations = crud.issue(session=session, alert=alert, actor=access.actor, now=clock.now())
    session.commit()
    _publish(events, stations, alert)
    return detail(session=session, alert=alert, settings=settings, now=clock.now())


@router.post("/{alert_id}/reject", response_model=AlertPublic, summary="Refuse a pending alert")
def reject_alert(
    session: SessionDep, access: Approve, clock: ClockDep, alert_id: PathId
) -> AlertPublic:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    _require_scope(access, alert.area_id, alert.target_ids()[0], what=f"alert #{alert_id}")
    crud.reject(session=session, alert=alert, actor=access.actor, now=clock.now())
    session.commit()
    return public(alert)


@router.get("", response_model=AlertsPublic, summary="Alerts in your scope, newest first")
def list_alerts(session: SessionDep, access: Read, page: PageDep) -> AlertsPublic:
    alerts = crud.list_alerts(
        session=session,
        scope=in_scope(col(Area.path), access.principal.scope_prefixes(Action.alert_read)),
        offset=page.offset,
        limit=page.limit,
    )
    return AlertsPublic(data=[public(a) for a in alerts], count=len(alerts))


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
    return detail(session=session, alert=alert, settings=settings, now=clock.now())


def _publish(events: EventHub, stations: list[int], alert: Alert) -> None:
    events.publish_alert(
        stations,
        alert_id=alert.identifier,
        msg_type=alert.msg_type,
        references=alert.reference_list(),
    )


def _require_scope(
    access: AccessControl,
    area_id: int,
    target_area_ids: list[int],
    *,
    what: str,
    field: str | None = None,
) -> None:
    access.require_area(area_id, what=what, field=field and "area_id")
    for target in target_area_ids:
        access.require_area(target, what=f"{what}'s target area #{target}", field=field)


def _require_single_confirmation(access: AccessControl, paths: list[str], *, allowed: bool) -> None:
    if not allowed:
        raise Forbidden(
            "issue_now is off on this server (alert_single_confirmation): "
            "an approver must approve the alert"
        )
    if not all(access.principal.can(Action.alert_approve, path) for path in paths):
        raise Forbidden(
            "issue_now needs approver rights too, in the alert's area and every target: "
            "without them, an approver must approve the alert"
        )


def _paths(session: Session, area_ids: list[int]) -> list[str]:
    paths = list(session.exec(select(Area.path).where(col(Area.id).in_(area_ids))).all())
    if len(paths) != len(set(area_ids)):
        raise Invalid("an area named by the alert does not exist", field="target_area_ids")
    return paths
