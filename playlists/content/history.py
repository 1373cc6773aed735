"""An item's history from the audit chain: every event of every version of its lineage,
newest first, with what each changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.audit.models import AuditEvent
from playlists.content.models import ContentItem

# Fields an event always rewrites: not worth showing as a change.
_BOOKKEEPING = frozenset({"updated_at", "created_at", "contributors"})
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_name: str
    action: str  # e.g. content.approve
    item_id: int
    version: int | None
    reason: str | None  # a rejection's
    changes: tuple[Change, ...]


def lineage_history(*, session: Session, lineage_id: int) -> list[HistoryEntry]:
    """The caller has checked that the item is in their scope; its versions share it."""
    ids = session.exec(select(ContentItem.id).where(ContentItem.lineage_id == lineage_id)).all()
    query = (
        select(AuditEvent)
        .where(AuditEvent.object_type == "content")
        .where(col(AuditEvent.object_id).in_([str(i) for i in ids]))
        .order_by(col(AuditEvent.id).desc())
        .limit(HISTORY_LIMIT)
    )
    return [_entry(event) for event in session.exec(query).all()]


def _entry(event: AuditEvent) -> HistoryEntry:
    before: dict[str, Any] = json.loads(event.before_json) or {}
    after: dict[str, Any] = json.loads(event.after_json) or {}
    changed = tuple(
        Change(name, before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if name not in _BOOKKEEPING and before and before.get(name) != after.get(name)
    )
    reason = after.get("reject_reason") if event.action == "content.reject" else None
    return HistoryEntry(
        at=event.occurred_at,
        actor_name=event.actor_name,
        action=event.action,
        item_id=int(event.object_id),
        version=after.get("version") or before.get("version"),
        reason=reason,
        changes=changed,
    )
