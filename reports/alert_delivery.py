"""The alert delivery report: each alert's delivery rows read from the database, then turned
into latencies and their spread (reports/alert_latency.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from alerts.crud import get_alert
from alerts.models import Alert, AlertDelivery, AlertState, AlertStatus, AlertType
from core.areas.scope import within_areas
from core.paging import Page, paginate
from reports.alert_latency import (
    Ack,
    DeliverySummary,
    Spread,
    StationLatency,
    station_latencies,
    summarise,
)
from reports.alert_models import (
    AlertDeliveryReport,
    AlertDeliverySummary,
    LatencySpread,
    StationDeliveryPublic,
)
from stations.models import Station


def alert_delivery(
    *, session: Session, alert_id: int, now: datetime, ack_timeout: timedelta
) -> AlertDeliveryReport:
    alert = get_alert(session=session, alert_id=alert_id)
    # An outer join: a station deleted since the alert went out still got it (or did not).
    query = (
        select(AlertDelivery, Station.name)
        .outerjoin(Station, col(Station.id) == AlertDelivery.station_id)
        .where(AlertDelivery.alert_id == alert_id)
    )
    rows = session.exec(query).all()
    names = {delivery.station_id: name for delivery, name in rows}
    latencies = station_latencies(
        alert.issued_at, [_ack(d) for d, _ in rows], now=now, ack_timeout=ack_timeout
    )
    return AlertDeliveryReport(
        summary=_summary_public(alert, summarise(latencies)),
        stations=[_station_public(s, names[s.ack.station_id]) for s in latencies],
    )


def alert_deliveries(
    *,
    session: Session,
    prefixes: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    page: Page,
    now: datetime,
    ack_timeout: timedelta,
) -> tuple[list[AlertDeliverySummary], int]:
    """Issued alerts managed in the scope, newest first, each with its delivery summary.
    Cancels are left out: they stop other alerts and have no deliveries of their own."""
    query = within_areas(select(Alert), area_id=col(Alert.area_id), prefixes=prefixes).where(
        col(Alert.issued_at).is_not(None), Alert.msg_type != AlertType.cancel.value
    )
    if since is not None:
        query = query.where(col(Alert.issued_at) >= since)
    if until is not None:
        query = query.where(col(Alert.issued_at) < until)
    alerts, total = paginate(
        session, query, page, col(Alert.issued_at).desc(), col(Alert.id).desc()
    )
    acks = _acks_of(session, [a.id for a in alerts if a.id is not None])
    summaries = []
    for alert in alerts:
        assert alert.id is not None
        latencies = station_latencies(
            alert.issued_at, acks.get(alert.id, ()), now=now, ack_timeout=ack_timeout
        )
        summaries.append(_summary_public(alert, summarise(latencies)))
    return summaries, total


def _acks_of(session: Session, alert_ids: list[int]) -> dict[int, list[Ack]]:
    """The delivery rows of a page of alerts (at most 500 ids: one IN list), as columns, not
    ORM objects: a page may hold a million of them. A summary reads no finished times."""
    if not alert_ids:
        return {}
    query = select(
        AlertDelivery.alert_id,
        AlertDelivery.station_id,
        AlertDelivery.received_at,
        AlertDelivery.started_at,
    ).where(col(AlertDelivery.alert_id).in_(alert_ids))
    found: dict[int, list[Ack]] = {}
    for alert_id, station_id, received, started in session.exec(query).all():
        found.setdefault(alert_id, []).append(Ack(station_id, received, started, None))
    return found


def _ack(delivery: AlertDelivery) -> Ack:
    return Ack(delivery.station_id, delivery.received_at, delivery.started_at, delivery.finished_at)


def _summary_public(alert: Alert, summary: DeliverySummary) -> AlertDeliverySummary:
    assert alert.id is not None
    return AlertDeliverySummary(
        id=alert.id,
        identifier=alert.identifier,
        sender=alert.sender,
        language=alert.language,
        headline=alert.headline,
        msg_type=AlertType(alert.msg_type),
        status=AlertStatus(alert.status),
        state=AlertState(alert.state),
        area_id=alert.area_id,
        issued_at=alert.issued_at,
        ended_at=alert.ended_at,
        targeted=summary.targeted,
        received=summary.received,
        started=summary.started,
        never_acknowledged=summary.never_acknowledged,
        to_received=_spread_public(summary.to_received),
        to_started=_spread_public(summary.to_started),
    )


def _spread_public(spread: Spread) -> LatencySpread:
    return LatencySpread(
        median_s=_rounded(spread.median_s),
        p95_s=_rounded(spread.p95_s),
        max_s=_rounded(spread.max_s),
    )


def _station_public(latency: StationLatency, name: str | None) -> StationDeliveryPublic:
    ack = latency.ack
    return StationDeliveryPublic(
        station_id=ack.station_id,
        station_name=name,
        received_at=ack.received_at,
        started_at=ack.started_at,
        finished_at=ack.finished_at,
        to_received_s=_rounded(latency.to_received_s),
        to_started_s=_rounded(latency.to_started_s),
        never_acknowledged=latency.never_acknowledged,
    )


def _rounded(seconds: float | None) -> float | None:
    return round(seconds, 3) if seconds is not None else None
