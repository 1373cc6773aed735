"""Sessions (/api/v1/sessions), area policy (/api/v1/areas/{id}/policy) and the queue
(/api/v1/queue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from core.areas.crud import get_area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.models import MAX_ID, PathId
from core.paging import PageDep
from playlists.content.crud import get_item
from playlists.sessions import crud, policy, queue
from playlists.sessions.models import (
    PolicyIn,
    PolicyPublic,
    QueueIn,
    QueuePublic,
    QueuesPublic,
    QueueUpdate,
    SessionIn,
    SessionPublic,
    SessionsPublic,
    SessionUpdate,
)
from playlists.sessions.scope import entry_in_scope, require_targets, session_in_scope

router = APIRouter(prefix="/api/v1", tags=["schedule (lịch phát)"])

Read = Annotated[AccessControl, Depends(Permission(Action.schedule_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.schedule_write))]
PolicyWrite = Annotated[AccessControl, Depends(Permission(Action.policy_write))]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/sessions", response_model=SessionsPublic, summary="Sessions of areas in your scope")
def list_sessions(
    session: SessionDep, access: Read, page: PageDep, area_id: QueryId = None
) -> SessionsPublic:
    rows, total = crud.list_sessions(
        session=session, prefixes=access.scope_prefixes(), page=page, area_id=area_id
    )
    return SessionsPublic(data=[crud.session_public(session, s) for s in rows], count=total)


@router.post(
    "/sessions",
    response_model=SessionPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a broadcast session (phiên phát)",
)
def create_session(
    session: SessionDep, access: Write, clock: ClockDep, session_in: SessionIn
) -> SessionPublic:
    access.require_area(session_in.area_id, what="a new session", field="area_id")
    require_targets(access, session, session_in.target_area_ids, session_in.target_group_ids)
    found = crud.create_session(
        session=session, session_in=session_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.session_public(session, found)


@router.get("/sessions/{session_id}", response_model=SessionPublic, summary="Read one session")
def read_session(session: SessionDep, access: Read, session_id: PathId) -> SessionPublic:
    return crud.session_public(session, session_in_scope(session, access, session_id))


@router.patch("/sessions/{session_id}", response_model=SessionPublic, summary="Change a session")
def update_session(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    session_id: PathId,
    session_in: SessionUpdate,
) -> SessionPublic:
    found = session_in_scope(session, access, session_id)
    require_targets(access, session, session_in.target_area_ids, session_in.target_group_ids)
    found = crud.update_session(
        session=session, found=found, session_in=session_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.session_public(session, found)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a session and its queue",
)
def delete_session(session: SessionDep, access: Write, clock: ClockDep, session_id: PathId) -> None:
    found = session_in_scope(session, access, session_id)
    crud.delete_session(session=session, found=found, actor=access.actor, now=clock.now())
    session.commit()


@router.get(
    "/areas/{area_id}/policy",
    response_model=PolicyPublic,
    summary="An area's own policy and the policy in force there (inherited)",
)
def read_policy(session: SessionDep, access: Read, area_id: PathId) -> PolicyPublic:
    area = get_area(session=session, area_id=area_id)
    access.require_area(area.id, what=f"area #{area_id}")
    return PolicyPublic(
        area_id=area_id,
        own=policy.own_policy(session=session, area_id=area_id),
        effective=policy.effective_policy(session=session, area=area),
    )


@router.put(
    "/areas/{area_id}/policy",
    response_model=PolicyPublic,
    summary="Set an area's own policy: quiet hours, caps, days off (null inherits)",
)
def set_policy(
    session: SessionDep, access: PolicyWrite, clock: ClockDep, area_id: PathId, policy_in: PolicyIn
) -> PolicyPublic:
    area = get_area(session=session, area_id=area_id)
    access.require_area(area.id, what=f"area #{area_id}")
    policy.set_policy(
        session=session, area_id=area_id, policy_in=policy_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return read_policy(session, access, area_id)


@router.get("/queue", response_model=QueuesPublic, summary="Queued content in your scope")
def list_queue(
    session: SessionDep, access: Read, page: PageDep, session_id: QueryId = None
) -> QueuesPublic:
    rows, total = queue.list_entries(
        session=session, prefixes=access.scope_prefixes(), page=page, session_id=session_id
    )
    return QueuesPublic(data=[queue.entry_public(e) for e in rows], count=total)


@router.post(
    "/queue",
    response_model=QueuePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Queue approved content into a session, or at a fixed time in it",
)
def create_entry(
    session: SessionDep, access: Write, clock: ClockDep, entry_in: QueueIn
) -> QueuePublic:
    content = get_item(session=session, item_id=entry_in.content_id)
    access.require_area(content.area_id, what=f"content #{content.id}")
    owner = crud.get_broadcast_session(session=session, session_id=entry_in.session_id)
    access.require_area(owner.area_id, what=f"session #{owner.id}")
    entry = queue.create_entry(
        session=session, content=content, entry_in=entry_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return queue.entry_public(entry)


@router.get("/queue/{entry_id}", response_model=QueuePublic, summary="Read one queue entry")
def read_entry(session: SessionDep, access: Read, entry_id: PathId) -> QueuePublic:
    return queue.entry_public(entry_in_scope(session, access, entry_id)[0])


@router.patch(
    "/queue/{entry_id}",
    response_model=QueuePublic,
    summary="Change when, how often or in what order an entry plays",
)
def update_entry(
    session: SessionDep, access: Write, clock: ClockDep, entry_id: PathId, entry_in: QueueUpdate
) -> QueuePublic:
    entry, area_id = entry_in_scope(session, access, entry_id)
    entry = queue.update_entry(
        session=session,
        entry=entry,
        entry_in=entry_in,
        actor=access.actor,
        now=clock.now(),
        area_id=area_id,
    )
    session.commit()
    return queue.entry_public(entry)


@router.delete(
    "/queue/{entry_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take an entry out of the queue",
)
def delete_entry(session: SessionDep, access: Write, clock: ClockDep, entry_id: PathId) -> None:
    entry, area_id = entry_in_scope(session, access, entry_id)
    queue.delete_entry(
        session=session, entry=entry, actor=access.actor, now=clock.now(), area_id=area_id
    )
    session.commit()
