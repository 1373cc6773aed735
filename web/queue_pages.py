"""A session's queue (hàng đợi) from its page: queue approved content soft, at a fixed time
or as a relay, move an entry up or down, take one out. Plain forms that work without
JavaScript (each answers with the session's page); htmx swaps only the queue. The checks
are the API's (access_for, require_area through its helpers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.errors import Forbidden, NotFound
from core.models import PathId
from playlists.content.crud import get_item
from playlists.sessions import crud, queue
from playlists.sessions.models import BroadcastSession, QueueEntry, QueueUpdate
from playlists.sessions.scope import entry_in_scope, session_in_scope
from web import i18n, sessions_data
from web.context import CsrfPageDep, PageView
from web.problems import REFUSALS, FormProblems, problems_of
from web.sessions_forms import QUEUE_FIELDS, QueueFields, fields_of, queue_in
from web.sessions_view import QueueForm, page_access, refused, session_page, status_of

router = APIRouter(include_in_schema=False)


def _write(view: PageView, session: Session) -> AccessControl:
    return page_access(view, session, Action.schedule_write)


def _back(session_id: int) -> RedirectResponse:
    return RedirectResponse(f"/sessions/{session_id}#queue", status_code=303)


def _with_queue_problems(
    view: PageView,
    session: Session,
    owner: BroadcastSession,
    fields: QueueFields,
    problems: FormProblems,
    status_code: int,
) -> Response:
    public = crud.session_public(session, owner)
    form = QueueForm(fields=fields, problems=problems)
    return session_page(
        view,
        session,
        fields=fields_of(public),
        found=public,
        queue_form=form,
        status_code=status_code,
    )


@router.post("/sessions/{session_id}/queue")
def add_entry(
    session: SessionDep,
    clock: ClockDep,
    view: CsrfPageDep,
    session_id: PathId,
    fields: Annotated[QueueFields, Form()],
) -> Response:
    i18n.use(view.locale)
    try:
        access = _write(view, session)
        owner = session_in_scope(session, access, session_id)
    except (Forbidden, NotFound) as exc:
        return refused(view, exc)
    rows = sessions_data.queue_of(session=session, access=access, session_id=session_id)
    built = queue_in(fields, session_id=session_id, order=sessions_data.next_order(rows))
    if isinstance(built, FormProblems):
        return _with_queue_problems(view, session, owner, fields, built, 422)
    try:
        content = get_item(session=session, item_id=built.content_id)
        access.require_area(content.area_id, what=f"content #{content.id}")
        queue.create_entry(
            session=session, content=content, entry_in=built, actor=access.actor, now=clock.now()
        )
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc, fields=QUEUE_FIELDS)
        return _with_queue_problems(view, session, owner, fields, problems, status_of(exc))
    session.commit()
    return _back(session_id)


def _entry_of(
    session: Session, access: AccessControl, session_id: int, entry_id: int
) -> QueueEntry:
    entry, _area = entry_in_scope(session, access, entry_id)
    if entry.session_id != session_id:
        raise NotFound(f"no queue entry #{entry_id}")
    return entry


@router.post("/sessions/{session_id}/queue/{entry_id}/move")
def move_entry(
    session: SessionDep,
    clock: ClockDep,
    view: CsrfPageDep,
    session_id: PathId,
    entry_id: PathId,
    direction: Annotated[Literal["up", "down"], Form()],
) -> Response:
    i18n.use(view.locale)
    try:
        access = _write(view, session)
        entry = _entry_of(session, access, session_id, entry_id)
        owner = session_in_scope(session, access, entry.session_id)
        rows = sessions_data.queue_of(session=session, access=access, session_id=session_id)
        order = sessions_data.moved(rows, entry_id, -1 if direction == "up" else 1)
        for row in rows:
            if row.entry.id in order:
                queue.update_entry(
                    session=session,
                    entry=row.entry,
                    entry_in=QueueUpdate(order=order[row.entry.id]),
                    actor=access.actor,
                    now=clock.now(),
                    area_id=owner.area_id,
                )
    except REFUSALS as exc:
        session.rollback()
        return refused(view, exc)
    session.commit()
    return _back(session_id)


@router.post("/sessions/{session_id}/queue/{entry_id}/delete")
def remove_entry(
    session: SessionDep, clock: ClockDep, view: CsrfPageDep, session_id: PathId, entry_id: PathId
) -> Response:
    i18n.use(view.locale)
    try:
        access = _write(view, session)
        entry = _entry_of(session, access, session_id, entry_id)
        owner = session_in_scope(session, access, session_id)
        queue.delete_entry(
            session=session, entry=entry, actor=access.actor, now=clock.now(), area_id=owner.area_id
        )
    except (Forbidden, NotFound) as exc:
        session.rollback()
        return refused(view, exc)
    session.commit()
    return _back(session_id)
