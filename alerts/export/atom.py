"""The alerts issued in an area's subtree as an Atom feed, each entry linking to the alert
as a CAP 1.2 document (the way NWS and Meteoalarm publish theirs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree.ElementTree import Element, SubElement, tostring

from sqlmodel import Session, col, or_, select

from alerts.export.cap_writer import cap_time
from alerts.models import Alert, AlertState, AlertStatus
from core.areas.models import Area
from stations.models import StationGroup

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
MAX_ENTRIES = 200
# An alert that went on the air: issued, or since ended by an Update or a Cancel.
PUBLISHED_STATES = (AlertState.issued, AlertState.superseded, AlertState.cancelled)


@dataclass(frozen=True, kw_only=True)
class AtomFeed:
    url: str  # the feed's own address: its id and its rel="self" link
    title: str
    cap_url: Callable[[Alert], str]


def published_alerts(
    *, session: Session, area: Area, now: datetime, window: timedelta
) -> list[Alert]:
    """Actual alerts that went on the air reaching `area`'s subtree (managed there, or
    targeting an area or a station group there), still on the air or ended within
    `window`, newest first."""
    since = now - window
    query = (
        select(Alert)
        .where(Alert.status == AlertStatus.actual.value)
        .where(col(Alert.state).in_([s.value for s in PUBLISHED_STATES]))
        .where(col(Alert.issued_at).is_not(None))
        .where(or_(col(Alert.expires) >= since, col(Alert.ended_at) >= since))
        .order_by(col(Alert.issued_at).desc(), col(Alert.id).desc())
    )
    candidates = list(session.exec(query).all())
    paths = _paths(session, candidates)
    group_areas = _group_areas(session, candidates)
    reaching = [
        alert
        for alert in candidates
        if any(
            paths.get(area_id, "").startswith(area.path) for area_id in _reach(alert, group_areas)
        )
    ]
    return reaching[:MAX_ENTRIES]


def _reach(alert: Alert, group_areas: dict[int, int]) -> list[int]:
    targets = alert.target_ids()
    groups = (group_areas[g] for g in targets.groups if g in group_areas)
    return [alert.area_id, *targets.areas, *groups]


def _paths(session: Session, alerts: Sequence[Alert]) -> dict[int, str]:
    ids = {a for alert in alerts for a in (alert.area_id, *alert.target_ids().areas)}
    rows = session.exec(select(Area.id, Area.path).where(col(Area.id).in_(sorted(ids)))).all()
    return {area_id: path for area_id, path in rows if area_id is not None}


def _group_areas(session: Session, alerts: Sequence[Alert]) -> dict[int, int]:
    ids = sorted({g for alert in alerts for g in alert.target_ids().groups})
    if not ids:
        return {}
    query = select(StationGroup.id, StationGroup.area_id).where(col(StationGroup.id).in_(ids))
    return {group: area for group, area in session.exec(query).all() if group is not None}


def atom_document(feed: AtomFeed, alerts: Sequence[Alert], *, now: datetime) -> bytes:
    root = Element("feed", xmlns=ATOM_NAMESPACE)
    _text(root, "id", feed.url)
    _text(root, "title", feed.title)
    _text(root, "updated", cap_time(max((_updated(a) for a in alerts), default=now)))
    SubElement(root, "link", rel="self", href=feed.url, type="application/atom+xml")
    SubElement(SubElement(root, "author"), "name").text = "Loaxa"
    for alert in alerts:
        entry = SubElement(root, "entry")
        url = feed.cap_url(alert)
        _text(entry, "id", url)
        _text(entry, "title", alert.headline)
        _text(entry, "updated", cap_time(_updated(alert)))
        _text(entry, "published", cap_time(alert.issued_at or alert.created_at))
        SubElement(entry, "link", rel="alternate", href=url, type=CAP_MEDIA_TYPE)
        _text(entry, "summary", alert.description or alert.headline)
        SubElement(entry, "category", term=alert.msg_type)
    document: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _updated(alert: Alert) -> datetime:
    return alert.ended_at or alert.issued_at or alert.created_at


def _text(parent: Element, name: str, value: str) -> None:
    SubElement(parent, name).text = value
