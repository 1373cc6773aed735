"""Data functions for broadcast sessions and their targets. Each change is audited."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.audit.chain import Actor, Affects, Subject, record
from core.errors import Invalid, NotFound
from core.paging import Page, paginate
from playlists.sessions.models import (
    BroadcastSession,
    SessionIn,
    SessionPublic,
    SessionTarget,
    SessionUpdate,
)
from stations.models import StationGroup


def get_broadcast_session(*, session: Session, session_id: int) -> BroadcastSession:
    found = session.get(BroadcastSession, session_id)
    if found is None:
        raise NotFound(f"no session #{session_id}")
    return found


def _affects(found: BroadcastSession, areas: Iterable[int], groups: Iterable[int]) -> Affects:
    return Affects.of(sessions=[found.id], areas=areas, groups=groups)


def targets(session: Session, session_id: int) -> tuple[list[int], list[int]]:
    rows = session.exec(select(SessionTarget).where(SessionTarget.session_id == session_id)).all()
    areas = sorted(r.area_id for r in rows if r.area_id is not None)
    groups = sorted(r.group_id for r in rows if r.group_id is not None)
    return areas, groups


def session_public(session: Session, found: BroadcastSession) -> SessionPublic:
    assert found.id is not None
    areas, groups = targets(session, found.id)
    return SessionPublic.model_validate(
        found,
        update={
            "recurrence": found.recurrence,
            "target_area_ids": areas,
            "target_group_ids": groups,
        },
    )


def _json(session: Session, found: BroadcastSession) -> dict[str, Any]:
    return session_public(session, found).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )


def target_groups(session: Session, group_ids: Sequence[int]) -> list[StationGroup]:
    groups = {
        g.id: g
        for g in session.exec(
            select(StationGroup).where(col(StationGroup.id).in_(list(group_ids)))
        ).all()
    }
    for group_id in group_ids:
        if group_id not in groups:
            raise Invalid(f"station group #{group_id} does not exist", field="target_group_ids")
    return [groups[g] for g in dict.fromkeys(group_ids)]


def _set_targets(
    session: Session, found: BroadcastSession, area_ids: Sequence[int], group_ids: Sequence[int]
) -> None:
    for area_id in area_ids:
        if session.get(Area, area_id) is None:
            raise Invalid(f"area #{area_id} does not exist", field="target_area_ids")
    target_groups(session, group_ids)
    session.execute(delete(SessionTarget).where(col(SessionTarget.session_id) == found.id))
    assert found.id is not None
    for area_id in dict.fromkeys(area_ids):
        session.add(SessionTarget(session_id=found.id, area_id=area_id))
    for group_id in dict.fromkeys(group_ids):
        session.add(SessionTarget(session_id=found.id, group_id=group_id))
    session.flush()


def create_session(
    *, session: Session, session_in: SessionIn, actor: Actor, now: datetime
) -> BroadcastSession:
    if session.get(Area, session_in.area_id) is None:
        raise Invalid(f"area #{session_in.area_id} does not exist", field="area_id")
    found = BroadcastSession(
        name=session_in.name,
        area_id=session_in.area_id,
        start=session_in.start,
        max_length_s=session_in.max_length_s,
        recurrence_json=session_in.recurrence.model_dump_json(),
        volume=session_in.volume,
        enabled=session_in.enabled,
        after_cut=session_in.after_cut.value,
        created_at=now,
        updated_at=now,
    )
    session.add(found)
    session.flush()
    _set_targets(session, found, session_in.target_area_ids, session_in.target_group_ids)
    record(
        session=session,
        actor=actor,
        action="session.create",
        subject=Subject("session", found.id, found.area_id),
        now=now,
        after=_json(session, found),
        affects=_affects(found, session_in.target_area_ids, session_in.target_group_ids),
    )
    return found


def update_session(
    *,
    session: Session,
    found: BroadcastSession,
    session_in: SessionUpdate,
    actor: Actor,
    now: datetime,
) -> BroadcastSession:
    before = _json(session, found)
    changes = session_in.model_dump(exclude_unset=True)
    assert found.id is not None
    areas, groups = targets(session, found.id)
    new_areas = changes.pop("target_area_ids", areas)
    new_groups = changes.pop("target_group_ids", groups)
    if not new_areas and not new_groups:
        raise Invalid(
            "a session needs at least one target area or station group", field="target_area_ids"
        )
    if "recurrence" in changes:
        found.recurrence_json = session_in.recurrence.model_dump_json()  # type: ignore[union-attr]
        changes.pop("recurrence")
    for key, value in changes.items():
        setattr(found, key, value)
    found.updated_at = now
    session.add(found)
    session.flush()
    _set_targets(session, found, new_areas, new_groups)
    record(
        session=session,
        actor=actor,
        action="session.update",
        subject=Subject("session", found.id, found.area_id),
        now=now,
        before=before,
        after=_json(session, found),
        # What it reached before and what it reaches now: both sides need a rebuild.
        affects=_affects(found, [*areas, *new_areas], [*groups, *new_groups]),
    )
    return found


def delete_session(
    *, session: Session, found: BroadcastSession, actor: Actor, now: datetime
) -> None:
    assert found.id is not None
    record(
        session=session,
        actor=actor,
        action="session.delete",
        subject=Subject("session", found.id, found.area_id),
        now=now,
        before=_json(session, found),
        affects=_affects(found, *targets(session, found.id)),
    )
    session.delete(found)
    session.flush()


def list_sessions(
    *, session: Session, prefixes: Sequence[str], page: Page, area_id: int | None = None
) -> tuple[list[BroadcastSession], int]:
    query = within_areas(
        select(BroadcastSession), area_id=col(BroadcastSession.area_id), prefixes=prefixes
    )
    if area_id is not None:
        query = query.where(BroadcastSession.area_id == area_id)
    return paginate(session, query, page, col(BroadcastSession.start), col(BroadcastSession.id))
