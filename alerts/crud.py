"""Alerts as stored: created, approved (or issued at once by one person who may do both,
when the policy allows), and the Updates and Cancels that end earlier ones. Every act is an
audit event; issuing one records which stations it reaches, one delivery row each."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from alerts.models import (
    Alert,
    AlertCreate,
    AlertDelivery,
    AlertImage,
    AlertState,
    AlertTargets,
    AlertType,
    CapOrigin,
    reference_parts,
)
from core.areas.scope import within_areas
from core.audit.chain import Actor, Subject, record
from core.errors import Conflict, Invalid, NotFound
from core.paging import Page, paginate
from stations.models import Station, StationGroup
from stations.reach import station_areas, stations_reached


@dataclass(frozen=True, kw_only=True)
class AlertAudio:
    """What an alert plays: approved content, or its text just read by TTS."""

    sha256: str | None
    duration_s: float
    size_bytes: int
    content_id: int | None = None


def get_alert(*, session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert #{alert_id} does not exist")
    return alert


def targets_of(
    *, session: Session, alert_in: AlertCreate, station_ids: Sequence[int] = ()
) -> AlertTargets:
    """The area subtrees, station groups and stations (`station_ids`: those a CAP import's
    shapes hold) the alert reaches. A Cancel or Update that names none takes those of the
    alerts it references."""
    targets = AlertTargets(
        areas=tuple(alert_in.target_area_ids),
        groups=tuple(alert_in.target_group_ids),
        stations=tuple(station_ids),
    )
    if not targets:
        for earlier in referenced_alerts(session, alert_in.references):
            targets |= earlier.target_ids()
    return targets | AlertTargets()  # sorted, each once


def areas_targeted(*, session: Session, targets: AlertTargets) -> list[int]:
    """The target areas and the areas the target stations stand in now."""
    return sorted({*targets.areas, *station_areas(session, targets.stations).values()})


def areas_in_reach(*, session: Session, targets: AlertTargets, references: list[str]) -> list[int]:
    """Every area an alert acts in, which the caller's scope must hold: its target areas,
    its target stations' and station groups' areas, and the areas and targets of the
    alerts it ends."""
    for earlier in referenced_alerts(session, references):
        targets |= earlier.target_ids() | AlertTargets(areas=(earlier.area_id,))
    areas = set(areas_targeted(session=session, targets=targets))
    groups = targets.groups
    if groups:
        query = select(StationGroup.area_id).where(col(StationGroup.id).in_(sorted(groups)))
        areas |= set(session.exec(query).all())
    return sorted(areas)


def create_alert(
    *,
    session: Session,
    alert_in: AlertCreate,
    targets: AlertTargets,
    audio: AlertAudio,
    actor: Actor,
    now: datetime,
    origin: CapOrigin | None = None,
    hold_reason: str | None = None,
    images: Sequence[AlertImage] = (),
) -> Alert:
    """A new alert, waiting for approval; `targets` as targets_of gives them. `origin`: what
    a CAP import kept of the document (its sender, language and references as sent);
    `images`: those its sender attached, stored with it."""
    referenced_alerts(session, alert_in.references)  # each must exist
    identifier = alert_in.identifier or f"loaxa-{uuid.uuid4()}"
    sender = sender_of(actor=actor, origin=origin)
    require_new_identifier(session=session, sender=sender, identifier=identifier)
    alert = Alert(
        identifier=identifier,
        sender=sender,
        status=alert_in.status.value,
        msg_type=alert_in.msg_type.value,
        reference_ids=json.dumps(alert_in.references),
        area_id=alert_in.area_id,
        targets=targets.to_json(),
        event=alert_in.event,
        headline=alert_in.headline,
        description=alert_in.description,
        urgency=alert_in.urgency.value,
        severity=alert_in.severity.value,
        certainty=alert_in.certainty.value,
        content_id=audio.content_id,
        sha256=audio.sha256,
        duration_s=audio.duration_s,
        size_bytes=audio.size_bytes,
        volume=alert_in.volume,
        starts=alert_in.starts or now,
        expires=alert_in.expires,
        repeat=alert_in.repeat.model_dump_json() if alert_in.repeat else None,
        state=AlertState.pending.value,
        created_by=actor.id,
        created_at=now,
        language=origin.language if origin else alert_in.language,
        cap_references=json.dumps(list(origin.cap_references) if origin else []),
        expires_default=origin.expires_default if origin else None,
        hold_reason=hold_reason,
        images=json.dumps([image.model_dump() for image in images]),
    )
    session.add(alert)
    session.flush()
    unheld = origin is not None and bool(origin.unheld_references)
    record(
        session=session,
        actor=actor,
        # A CAP Update of alerts this server never held, taken as a new alert.
        action="alert.create_from_unheld_update"
        if unheld and alert_in.msg_type == AlertType.alert
        else "alert.create",
        subject=Subject("alert", alert.id, alert.area_id),
        now=now,
        after=_snapshot(alert),
    )
    return alert


def sender_of(*, actor: Actor, origin: CapOrigin | None) -> str:
    """Who sent an alert: the CAP <sender> of an import, else the operator who made it."""
    return origin.sender if origin else actor.name


def require_new_identifier(*, session: Session, sender: str, identifier: str) -> None:
    """CAP's identifiers are unique per sender: a second use is the same feed sent twice."""
    taken = select(Alert.id).where(Alert.sender == sender, Alert.identifier == identifier)
    if session.exec(taken).first() is not None:
        raise Conflict(f"{sender!r} has sent an alert with identifier {identifier!r} already")


def cancelled_before(*, session: Session, sender: str, identifier: str) -> Alert | None:
    """A Cancel stored here that names the alert `sender` sent as `identifier`: a feed read
    out of order brought the Cancel first, and the alert must not go on the air after it."""
    needle = json.dumps(f"{sender},{identifier},")[:-1]  # '"sender,identifier,' as stored
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(Alert).where(
        Alert.msg_type == AlertType.cancel.value,
        col(Alert.cap_references).like(f"%{escaped}%", escape="\\"),
    )
    return session.exec(query.limit(1)).first()


def held_references(*, session: Session, references: Sequence[str]) -> list[str]:
    """Of `references`, those naming an alert this server holds (each as given)."""
    found = _matching(session, references)
    return [reference for reference in references if found.get(reference)]


def issue(
    *,
    session: Session,
    alert: Alert,
    actor: Actor,
    now: datetime,
    single: bool = False,
    audit_action: str | None = None,
) -> None:
    """Put the alert on the air, with a delivery row for each station it reaches. An Update
    or Cancel ends the alerts it references first. `single`: issued by its author alone,
    under the policy that lets an emergency skip the second pair of eyes (its own audit
    action)."""
    if alert.state != AlertState.pending.value:
        raise Conflict(f"alert #{alert.id} is {alert.state}, not pending: it cannot be issued")
    before = _snapshot(alert)
    for earlier in referenced_alerts(session, alert.reference_list()):
        _end(session, earlier, by=alert, actor=actor, now=now)
    alert.state = AlertState.issued.value
    alert.approved_by = actor.id
    alert.issued_at = now
    session.add(alert)
    stations = sorted(reached_by(session=session, targets=alert.target_ids()))
    session.flush()
    if alert.msg_type != AlertType.cancel.value and stations:
        # One executemany, not an ORM object per station: ten thousand stations' rows must
        # not hold up the push.
        rows = [{"alert_id": alert.id, "station_id": s} for s in stations]
        session.execute(insert(AlertDelivery), rows)
    action = audit_action or ("alert.issue_single_confirmation" if single else "alert.issue")
    record(
        session=session,
        actor=actor,
        action=action,
        subject=Subject("alert", alert.id, alert.area_id),
        now=now,
        before=before,
        after=_snapshot(alert),
    )


def record_notice(
    *,
    session: Session,
    identifier: str,
    status: str,
    headline: str,
    area_id: int,
    origin: CapOrigin,
    actor: Actor,
    now: datetime,
) -> Alert:
    """A CAP Cancel of alerts this server never held, kept (so the sender's follow-ups and
    the audit have it) and acknowledged; it ends nothing and plays nothing."""
    require_new_identifier(session=session, sender=origin.sender, identifier=identifier)
    alert = Alert(
        identifier=identifier,
        sender=origin.sender,
        status=status,
        msg_type=AlertType.cancel.value,
        area_id=area_id,
        targets=AlertTargets().to_json(),
        headline=headline,
        urgency="Unknown",
        severity="Unknown",
        certainty="Unknown",
        starts=now,
        expires=now,
        state=AlertState.recorded.value,
        created_by=actor.id,
        created_at=now,
        ended_at=now,
        language=origin.language,
        cap_references=json.dumps(list(origin.cap_references)),
    )
    session.add(alert)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="alert.record_unheld_cancel",
        subject=Subject("alert", alert.id, alert.area_id),
        now=now,
        after=_snapshot(alert),
    )
    return alert


def reached_by(*, session: Session, targets: AlertTargets) -> set[int]:
    """The stations the targets reach as they stand now (a target station since deleted is
    left out: it has nobody to acknowledge)."""
    return stations_reached(
        session=session,
        area_ids=targets.areas,
        group_ids=targets.groups,
        station_ids=station_areas(session, targets.stations),
    )


def reject_alert(*, session: Session, alert: Alert, actor: Actor, now: datetime) -> None:
    if alert.state != AlertState.pending.value:
        raise Conflict(f"alert #{alert.id} is {alert.state}, not pending: it cannot be rejected")
    before = _snapshot(alert)
    alert.state = AlertState.rejected.value
    alert.ended_at = now
    session.add(alert)
    record(
        session=session,
        actor=actor,
        action="alert.reject",
        subject=Subject("alert", alert.id, alert.area_id),
        now=now,
        before=before,
        after=_snapshot(alert),
    )


def active_alerts(*, session: Session, now: datetime) -> list[Alert]:
    """Issued alerts (not Cancels) that have not expired: what agents must hold."""
    query = select(Alert).where(
        Alert.state == AlertState.issued.value,
        Alert.msg_type != AlertType.cancel.value,
        col(Alert.expires) > now,
    )
    return list(session.exec(query).all())


def list_alerts(
    *, session: Session, prefixes: Sequence[str], page: Page
) -> tuple[list[Alert], int]:
    """Emergency alerts, not broadcast now orders (alerts/orders.py lists those)."""
    emergencies = select(Alert).where(col(Alert.order_action).is_(None))
    query = within_areas(emergencies, area_id=col(Alert.area_id), prefixes=prefixes)
    return paginate(session, query, page, col(Alert.created_at).desc(), col(Alert.id).desc())


def count_deliveries(*, session: Session, alert_id: int) -> int:
    query = select(func.count()).where(AlertDelivery.alert_id == alert_id)
    return int(session.exec(query).one())


def deliveries(*, session: Session, alert_id: int) -> list[tuple[AlertDelivery, str]]:
    query = (
        select(AlertDelivery, Station.name)
        .join(Station, col(Station.id) == AlertDelivery.station_id)
        .where(AlertDelivery.alert_id == alert_id)
        .order_by(col(AlertDelivery.station_id))
    )
    return [(delivery, name) for delivery, name in session.exec(query).all()]


def referenced_alerts(session: Session, references: Sequence[str]) -> list[Alert]:
    """The alerts `references` name, each exactly one: an identifier two senders share must
    be given with its sender."""
    found = _matching(session, references)
    missing = sorted(reference for reference, alerts in found.items() if not alerts)
    if missing:
        raise Invalid(f"no alert with identifier {', '.join(missing)}", field="references")
    for reference, alerts in found.items():
        if len(alerts) > 1:
            senders = ", ".join(sorted(a.sender for a in alerts))
            raise Invalid(
                f"{reference!r} is the identifier of alerts from {senders}: give it as "
                "'sender,identifier'",
                field="references",
            )
    unique = {alert.id: alert for alerts in found.values() for alert in alerts}
    return list(unique.values())


def _matching(session: Session, references: Sequence[str]) -> dict[str, list[Alert]]:
    wanted = {reference: reference_parts(reference) for reference in references}
    if not wanted:
        return {}
    identifiers = sorted({identifier for _, identifier in wanted.values()})
    query = select(Alert).where(col(Alert.identifier).in_(identifiers))
    alerts = list(session.exec(query).all())
    return {
        reference: [a for a in alerts if a.identifier == identifier and sender in (None, a.sender)]
        for reference, (sender, identifier) in wanted.items()
    }


def _end(session: Session, earlier: Alert, *, by: Alert, actor: Actor, now: datetime) -> None:
    if earlier.state not in (AlertState.issued.value, AlertState.pending.value):
        return  # already over
    before = _snapshot(earlier)
    cancelled = by.msg_type == AlertType.cancel.value
    earlier.state = (AlertState.cancelled if cancelled else AlertState.superseded).value
    earlier.ended_at, earlier.ended_by = now, by.id
    session.add(earlier)
    record(
        session=session,
        actor=actor,
        action=f"alert.{earlier.state}",
        subject=Subject("alert", earlier.id, earlier.area_id),
        now=now,
        before=before,
        after=_snapshot(earlier),
    )


def _snapshot(alert: Alert) -> dict[str, object]:
    return alert.model_dump(mode="json")
