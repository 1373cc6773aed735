"""The scope checks of sessions and queue entries, for the API's routes and the pages."""

from __future__ import annotations

from sqlmodel import Session

from core.auth.deps import AccessControl
from playlists.sessions import crud, queue
from playlists.sessions.models import BroadcastSession, QueueEntry


def require_targets(
    access: AccessControl, session: Session, area_ids: list[int] | None, group_ids: list[int] | None
) -> None:
    """Every area and group a session plays to is in the caller's scope."""
    for area_id in area_ids or []:
        access.require_area(area_id, what="a session target", field="target_area_ids")
    for group in crud.target_groups(session, group_ids or []):
        access.require_area(group.area_id, what=f"station group #{group.id}")


def session_in_scope(session: Session, access: AccessControl, session_id: int) -> BroadcastSession:
    found = crud.get_broadcast_session(session=session, session_id=session_id)
    access.require_area(found.area_id, what=f"session #{session_id}")
    return found


def entry_in_scope(
    session: Session, access: AccessControl, entry_id: int
) -> tuple[QueueEntry, int]:
    """The entry and its session's area, refused unless that area is in scope."""
    entry = queue.get_entry(session=session, entry_id=entry_id)
    owner = crud.get_broadcast_session(session=session, session_id=entry.session_id)
    access.require_area(owner.area_id, what=f"queue entry #{entry_id}")
    return entry, owner.area_id
