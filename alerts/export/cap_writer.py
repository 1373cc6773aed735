"""An alert as a CAP 1.2 document, for neighbouring systems and the province's portal to
poll (alerts/export/routes.py). It reads back with Loaxa's own parser (alerts/cap.py), so a
second Loaxa takes it exactly as a warning service's document.

The sender is the CAP <sender> of an imported alert (a neighbour that polls both the
warning service and this server then holds it once, its (sender, identifier) stored), else
`cap_export_sender` for one made here: an operator's username is nobody's business."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from sqlmodel import Session, col, select

from alerts import crud
from alerts.cap import CAP_NAMESPACE
from alerts.models import Alert
from core.areas.models import Area
from core.audit.models import AuditEvent

# The official unit code's CAP valueName, by the level of the area holding it.
SCHEMES = {"province": "MA_TINH", "district": "MA_HUYEN", "commune": "MA_XA", "ward": "MA_XA"}
# The audit actions that store an alert (alerts/crud.py).
CREATING_ACTIONS = ("alert.create", "alert.create_from_unheld_update", "alert.record_unheld_cancel")
CATEGORY = "Other"  # Loaxa keeps no CAP <category> of its own alerts


@dataclass(frozen=True, kw_only=True)
class CapSource:
    """What the document needs beside the alert itself."""

    sender: str
    references: tuple[str, ...]  # "sender,identifier,sent" each
    areas: tuple[Area, ...]


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: whole seconds with the offset spelled out (no "Z")."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def exported_sender(*, session: Session, alert: Alert, local_sender: str) -> str:
    """An alert made here was stored with its author's name as sender (alerts/crud.py
    `sender_of`); an imported one with the CAP <sender>. The audit says who made it."""
    author = session.exec(
        select(AuditEvent.actor_name).where(
            AuditEvent.object_type == "alert",
            AuditEvent.object_id == str(alert.id),
            col(AuditEvent.action).in_(CREATING_ACTIONS),
        )
    ).first()
    return local_sender if author == alert.sender else alert.sender


def cap_source(*, session: Session, alert: Alert, local_sender: str) -> CapSource:
    as_sent = tuple(json.loads(alert.cap_references))
    references = as_sent or tuple(
        ",".join(
            (
                exported_sender(session=session, alert=earlier, local_sender=local_sender),
                earlier.identifier,
                cap_time(earlier.issued_at or earlier.created_at),
            )
        )
        for earlier in crud.referenced_alerts(session, alert.reference_list())
    )
    area_ids = alert.target_ids().areas
    areas = session.exec(select(Area).where(col(Area.id).in_(area_ids)).order_by(col(Area.id)))
    return CapSource(
        sender=exported_sender(session=session, alert=alert, local_sender=local_sender),
        references=references,
        areas=tuple(areas.all()),
    )


def cap_document(alert: Alert, source: CapSource) -> bytes:
    root = Element("alert", xmlns=CAP_NAMESPACE)
    _text(root, "identifier", alert.identifier)
    _text(root, "sender", source.sender)
    _text(root, "sent", cap_time(alert.issued_at or alert.created_at))
    _text(root, "status", alert.status)
    _text(root, "msgType", alert.msg_type)
    _text(root, "scope", "Public")
    if source.references:
        _text(root, "references", " ".join(source.references))
    info = SubElement(root, "info")
    _text(info, "language", alert.language)
    _text(info, "category", alert.expires_default or CATEGORY)
    _text(info, "event", alert.event or alert.headline)
    _text(info, "urgency", alert.urgency)
    _text(info, "severity", alert.severity)
    _text(info, "certainty", alert.certainty)
    _text(info, "effective", cap_time(alert.starts))
    _text(info, "expires", cap_time(alert.expires))
    _text(info, "senderName", "Loaxa")
    _text(info, "headline", alert.headline)
    if alert.description:
        _text(info, "description", alert.description)
    for area in source.areas:
        block = SubElement(info, "area")
        _text(block, "areaDesc", area.name)
        scheme = SCHEMES.get(area.level)
        if area.code and scheme:
            geocode = SubElement(block, "geocode")
            _text(geocode, "valueName", scheme)
            _text(geocode, "value", area.code)
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _text(parent: Element, name: str, value: str) -> None:
    SubElement(parent, name).text = value
