"""The alert delivery report (báo cáo bản tin khẩn cấp): how fast each alert reached its
stations, and which never acknowledged it."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from alerts.crud import get_alert
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import IsoDateTime, PathId
from core.paging import PageDep
from reports.alert_delivery import alert_deliveries, alert_delivery
from reports.alert_models import AlertDeliveryReport, AlertDeliverySummaries
from reports.filters import check_day

router = APIRouter(prefix="/api/v1/reports", tags=["reports (báo cáo)"])

Read = Annotated[AccessControl, Depends(Permission(Action.report_read))]
AlertsFrom = Annotated[
    IsoDateTime | None, Query(alias="from", description="Issued from, ISO 8601 with offset")
]
AlertsTo = Annotated[
    IsoDateTime | None,
    Query(alias="to", description="Issued before, ISO 8601 with offset, excluded"),
]


@router.get(
    "/alerts",
    response_model=AlertDeliverySummaries,
    summary="Issued alerts in your scope, newest first: how fast each reached its stations",
)
def alert_delivery_list(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    page: PageDep,
    since: AlertsFrom = None,
    until: AlertsTo = None,
) -> AlertDeliverySummaries:
    check_day(since.date() if since else None, "from")
    check_day(until.date() if until else None, "to")
    rows, total = alert_deliveries(
        session=session,
        prefixes=access.scope_prefixes(),
        since=since,
        until=until,
        page=page,
        now=clock.now(),
        ack_timeout=timedelta(seconds=settings.alert_ack_timeout_s),
    )
    return AlertDeliverySummaries(data=rows, count=total)


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertDeliveryReport,
    summary="One alert: each station's time from issue to received and to started, and "
    "the stations that never acknowledged it",
)
def alert_delivery_report(
    session: SessionDep, access: Read, clock: ClockDep, settings: SettingsDep, alert_id: PathId
) -> AlertDeliveryReport:
    alert = get_alert(session=session, alert_id=alert_id)
    access.require_area(alert.area_id, what=f"alert #{alert_id}")
    return alert_delivery(
        session=session,
        alert_id=alert_id,
        now=clock.now(),
        ack_timeout=timedelta(seconds=settings.alert_ack_timeout_s),
    )
