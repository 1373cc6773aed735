"""Alerts as the API shows them, with each station's acknowledgements."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlmodel import Session

from alerts import crud
from alerts.models import (
    Alert,
    AlertDelivery,
    AlertDetail,
    AlertImage,
    AlertPublic,
    AlertSummary,
    DeliveryPublic,
    RepeatPlan,
)
from core.config import Settings


def alert_public(alert: Alert) -> AlertPublic:
    targets = alert.target_ids()
    return AlertPublic.model_validate(
        {
            **alert.model_dump(
                exclude={"reference_ids", "targets", "repeat", "cap_references", "images"}
            ),
            "references": alert.reference_list(),
            "images": alert_images(alert),
            "cap_references": json.loads(alert.cap_references),
            "target_area_ids": list(targets.areas),
            "target_group_ids": list(targets.groups),
            "target_station_ids": list(targets.stations),
            "repeat": RepeatPlan.model_validate_json(alert.repeat) if alert.repeat else None,
        }
    )


def alert_images(alert: Alert) -> list[AlertImage]:
    return [AlertImage.model_validate(image) for image in json.loads(alert.images)]


def alert_summary(*, session: Session, alert: Alert) -> AlertSummary:
    assert alert.id is not None
    return AlertSummary.model_validate(
        {
            **alert_public(alert).model_dump(),
            "stations": crud.count_deliveries(session=session, alert_id=alert.id),
        }
    )


def alert_detail(
    *, session: Session, alert: Alert, settings: Settings, now: datetime
) -> AlertDetail:
    assert alert.id is not None
    overdue = alert.issued_at is not None and now - alert.issued_at > timedelta(
        seconds=settings.alert_ack_timeout_s
    )
    rows = crud.deliveries(session=session, alert_id=alert.id)
    return AlertDetail.model_validate(
        {
            **alert_public(alert).model_dump(),
            "deliveries": [_delivery(d, name, overdue=overdue) for d, name in rows],
        }
    )


def _delivery(delivery: AlertDelivery, name: str, *, overdue: bool) -> DeliveryPublic:
    stages = (
        ("finished", delivery.finished_at),
        ("started", delivery.started_at),
        ("received", delivery.received_at),
    )
    stage = next((name for name, at in stages if at is not None), "none")
    return DeliveryPublic(
        station_id=delivery.station_id,
        station_name=name,
        stage=stage,
        received_at=delivery.received_at,
        started_at=delivery.started_at,
        finished_at=delivery.finished_at,
        unacknowledged=overdue and delivery.received_at is None,
    )
