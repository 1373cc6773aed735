"""What an as-run record's item was when it aired, kept beside the record: deleting or
renaming the content, moving the station or merging communes never orphans history.

Read once per upload batch, whatever its size: the items with their areas and people (one
query), the station's area (its columns), and for alerts the alerts, their areas and people."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from alerts.models import Alert
from core.areas.models import Area
from core.auth.models import User
from playlists.content.models import ContentItem, ContentStatus
from stations.fleet.models import AsRun
from stations.protocol import AsRunRecord

ALERT_PREFIX = "alert:"
# A broadcast now order's plays (and a stop's silence): the priority layer.
ORDER_PREFIX = "order:"
# The agent shortens an alert id longer than this to a digest (stations/agent/alerts.py).
_ALERT_DIGEST_LEN = 24


def snapshots(
    *, session: Session, records: Sequence[AsRunRecord], station_area_id: int
) -> list[dict[str, Any]]:
    """For each record, the columns of its snapshot (AsRun's snapshot_* fields)."""
    items = _items(session, {r.content_id for r in records if r.content_id is not None})
    alerts = _alerts(session, {_alert_key(r.item_id) for r in records} - {None})
    station_area: _AreaColumns | None = session.execute(
        _STATION_AREA, {"id": station_area_id}
    ).first()
    area_ids = {a.area_id for a in alerts.values()}
    areas: dict[int | None, _AreaColumns] = (
        {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(area_ids)))}
        if area_ids
        else {}
    )
    user_ids = {u for a in alerts.values() for u in (a.created_by, a.approved_by) if u}
    names = (
        {
            u.id: u.full_name or u.username
            for u in session.exec(select(User).where(col(User.id).in_(user_ids)))
        }
        if user_ids
        else {}
    )
    zone = ZoneInfo(station_area.timezone) if station_area else UTC
    rows = []
    for record in records:
        row = dict.fromkeys(SNAPSHOT_COLUMNS) | _area_columns("station_area", station_area)
        row["day"] = record.occurred_at().astimezone(zone).date()
        item = items.get(record.content_id) if record.content_id is not None else None
        key = _alert_key(record.item_id)
        alert = alerts.get(key) if key is not None else None
        if alert is not None:
            row.update(_alert_columns(alert, areas.get(alert.area_id), names))
        elif item is not None:
            row.update(item)
        else:
            row["snapshot_kind"] = _kind_of(record.item_id) if key is not None else "unknown"
        rows.append(row)
    return rows


# Every row gets every column: a multi-row insert needs the same keys in each.
SNAPSHOT_COLUMNS = tuple(
    name
    for name in AsRun.model_fields
    if name.startswith(("snapshot_", "owner_area_", "station_area_")) or name == "day"
)


def _alert_key(item_id: str | None) -> str | None:
    if item_id is None or not item_id.startswith((ALERT_PREFIX, ORDER_PREFIX)):
        return None
    return item_id.split(":", 1)[1].split("#", 1)[0]


def _alerts(session: Session, keys: Iterable[str | None]) -> dict[str, Alert]:
    wanted = {k for k in keys if k}
    if not wanted:
        return {}
    found: dict[str, Alert] = {}
    for alert in session.exec(select(Alert).where(col(Alert.identifier).in_(wanted))):
        found[alert.identifier] = alert
    digests = {k for k in wanted - found.keys() if len(k) == _ALERT_DIGEST_LEN}
    if digests:  # shortened ids: rare, so a scan of the recent alerts is fine
        recent = select(Alert).order_by(col(Alert.id).desc()).limit(1000)
        for alert in session.exec(recent):
            digest = hashlib.sha256(alert.identifier.encode()).hexdigest()[:_ALERT_DIGEST_LEN]
            if digest in digests:
                found[digest] = alert
    return found


def _kind_of(item_id: str | None) -> str:
    return "order" if item_id and item_id.startswith(ORDER_PREFIX) else "alert"


class _AreaColumns(Protocol):
    """An area as a snapshot reads it: a row of _STATION_AREA, or an Area."""

    code: str | None
    name: str
    level: str
    path: str
    timezone: str


# Built once, as _ITEMS below: the station's area, as columns, at every upload.
_STATION_AREA = sa_select(
    col(Area.code), col(Area.name), col(Area.level), col(Area.path), col(Area.timezone)
).where(col(Area.id) == bindparam("id"))


def _area_columns(prefix: str, area: _AreaColumns | None) -> dict[str, Any]:
    return {
        f"{prefix}_code": area.code if area else None,
        f"{prefix}_name": area.name if area else None,
        f"{prefix}_level": area.level if area else None,
        f"{prefix}_path": area.path if area else None,
    }


_OWNER, _CREATOR, _REVIEWER = aliased(Area), aliased(User), aliased(User)
# Built once: an upload of one record is the agent's steady state, and building this
# statement (its aliases) costs more than running it.
_ITEMS = (
    sa_select(
        col(ContentItem.id),
        col(ContentItem.title),
        col(ContentItem.category),
        col(ContentItem.tier),
        col(ContentItem.language),
        col(ContentItem.lineage_id),
        col(ContentItem.version),
        col(ContentItem.created_by),
        col(ContentItem.reviewed_by),
        col(ContentItem.status),
        col(ContentItem.reject_reason),
        col(ContentItem.area_id),
        col(_OWNER.code),
        col(_OWNER.name),
        col(_OWNER.level),
        col(_OWNER.path),
        col(_CREATOR.full_name),
        col(_CREATOR.username),
        col(_REVIEWER.full_name),
        col(_REVIEWER.username),
    )
    .outerjoin(_OWNER, col(_OWNER.id) == ContentItem.area_id)
    .outerjoin(_CREATOR, col(_CREATOR.id) == ContentItem.created_by)
    .outerjoin(_REVIEWER, col(_REVIEWER.id) == ContentItem.reviewed_by)
    .where(col(ContentItem.id).in_(bindparam("ids", expanding=True)))
)


def _items(session: Session, content_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Each item's snapshot columns, with its owning area and its people, in one query."""
    if not content_ids:
        return {}
    approved_states = (ContentStatus.approved, ContentStatus.archived)
    found: dict[int, dict[str, Any]] = {}
    for row in session.execute(_ITEMS, {"ids": sorted(content_ids)}).all():
        (item_id, title, category, tier, language, lineage, version, created_by, reviewed_by) = row[
            :9
        ]
        status, reject_reason, area_id = row[9:12]
        approved = reviewed_by if status in approved_states and not reject_reason else None
        found[item_id] = {
            "snapshot_kind": "content",
            "snapshot_title": title,
            "snapshot_category": category,
            "snapshot_tier": tier.value,
            "snapshot_language": language,
            "snapshot_lineage_id": lineage,
            "snapshot_version": version,
            "snapshot_created_by": created_by,
            "snapshot_created_by_name": (row[16] or row[17]) if row[17] is not None else None,
            "snapshot_approved_by": approved,
            "snapshot_approved_by_name": (row[18] or row[19]) if approved and row[19] else None,
            "owner_area_id": area_id,
            "owner_area_code": row[12],
            "owner_area_name": row[13],
            "owner_area_level": row[14],
            "owner_area_path": row[15],
        }
    return found


def _alert_columns(
    alert: Alert, owner: _AreaColumns | None, names: dict[Any, str]
) -> dict[str, Any]:
    order = alert.order_action is not None
    return {
        "snapshot_kind": "order" if order else "alert",
        "snapshot_title": alert.headline,
        "snapshot_category": alert.event,
        "snapshot_tier": "priority" if order else "emergency",
        "snapshot_alert": alert.identifier,
        "snapshot_created_by": alert.created_by,
        "snapshot_created_by_name": names.get(alert.created_by) if alert.created_by else None,
        "snapshot_approved_by": alert.approved_by,
        "snapshot_approved_by_name": names.get(alert.approved_by) if alert.approved_by else None,
        "owner_area_id": alert.area_id,
        **_area_columns("owner_area", owner),
    }
