"""Data functions for the queue: approved content placed into sessions. Audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.audit.chain import Actor, Affects, Subject, record
from core.errors import Invalid, NotFound
from core.paging import Page, paginate
from playlists.builder.localtime import local_to_utc
from playlists.builder.recurrence import Repeat
from playlists.content.models import ContentItem, ContentStatus
from playlists.sessions.models import (
    BroadcastSession,
    QueueEntry,
    QueueIn,
    QueuePublic,
    QueueUpdate,
)


def get_entry(*, session: Session, entry_id: int) -> QueueEntry:
    entry = session.get(QueueEntry, entry_id)
    if entry is None:
        raise NotFound(f"no queue entry #{entry_id}")
    return entry


def entry_public(entry: QueueEntry) -> QueuePublic:
    return QueuePublic.model_validate(entry, update={"recurrence": entry.recurrence})


def _json(entry: QueueEntry) -> dict[str, Any]:
    return entry_public(entry).model_dump(mode="json", exclude={"created_at"})


def check_placeable(
    *, session: Session, content: ContentItem, entry: QueueIn, owner: BroadcastSession
) -> None:
    """Refuse content that is not approved, or not valid on the one date it is queued for."""
    if content.status != ContentStatus.approved:
        raise Invalid(
            f"content #{content.id} is {content.status.value}: only approved content can be queued",
            field="content_id",
        )
    if content.duration_s is None and entry.relay_length_s is None:
        raise Invalid("a relay needs a fixed time and relay_length_s", field="relay_length_s")
    if entry.recurrence.repeat != Repeat.once or entry.recurrence.start_date is None:
        return
    area = session.get(Area, owner.area_id)
    zone = ZoneInfo(area.timezone if area else "Asia/Ho_Chi_Minh")
    day = entry.recurrence.start_date
    start = local_to_utc(day, time(0), zone)
    end = local_to_utc(day + timedelta(days=1), time(0), zone)
    if (content.valid_until is not None and content.valid_until <= start) or (
        content.valid_from is not None and content.valid_from >= end
    ):
        raise Invalid(f"content #{content.id} is not valid on {day}", field="recurrence")


def create_entry(
    *, session: Session, content: ContentItem, entry_in: QueueIn, actor: Actor, now: datetime
) -> QueueEntry:
    owner = session.get(BroadcastSession, entry_in.session_id)
    if owner is None:
        raise Invalid(f"session #{entry_in.session_id} does not exist", field="session_id")
    check_placeable(session=session, content=content, entry=entry_in, owner=owner)
    assert actor.id is not None
    entry = QueueEntry(
        lineage_id=content.lineage_id,
        session_id=entry_in.session_id,
        recurrence_json=entry_in.recurrence.model_dump_json(),
        at=entry_in.at,
        relay_length_s=entry_in.relay_length_s,
        repeat=entry_in.repeat,
        order=entry_in.order,
        created_by=actor.id,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="queue.create",
        subject=Subject("queue", entry.id, owner.area_id),
        affects=Affects.of(sessions=[entry.session_id]),
        before=None,
        after=_json(entry),
        now=now,
    )
    return entry


def update_entry(
    *,
    session: Session,
    entry: QueueEntry,
    entry_in: QueueUpdate,
    actor: Actor,
    now: datetime,
    area_id: int,
) -> QueueEntry:
    before = _json(entry)
    changes = entry_in.model_dump(exclude_unset=True)
    if "recurrence" in changes:
        entry.recurrence_json = entry_in.recurrence.model_dump_json()  # type: ignore[union-attr]
        changes.pop("recurrence")
    for key, value in changes.items():
        setattr(entry, key, value)
    if entry.relay_length_s is not None and entry.at is None:
        raise Invalid("a relay length needs a fixed time (at)", field="at")
    session.add(entry)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="queue.update",
        subject=Subject("queue", entry.id, area_id),
        affects=Affects.of(sessions=[entry.session_id]),
        before=before,
        after=_json(entry),
        now=now,
    )
    return entry


def delete_entry(
    *, session: Session, entry: QueueEntry, actor: Actor, now: datetime, area_id: int
) -> None:
    record(
        session=session,
        actor=actor,
        action="queue.delete",
        subject=Subject("queue", entry.id, area_id),
        affects=Affects.of(sessions=[entry.session_id]),
        before=_json(entry),
        after=None,
        now=now,
    )
    session.delete(entry)
    session.flush()


def list_entries(
    *, session: Session, prefixes: Sequence[str], page: Page, session_id: int | None = None
) -> tuple[list[QueueEntry], int]:
    in_session = select(QueueEntry).join(
        BroadcastSession, col(BroadcastSession.id) == QueueEntry.session_id
    )
    query = within_areas(in_session, area_id=col(BroadcastSession.area_id), prefixes=prefixes)
    if session_id is not None:
        query = query.where(QueueEntry.session_id == session_id)
    return paginate(session, query, page, col(QueueEntry.id))
