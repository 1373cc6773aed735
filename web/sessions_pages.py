"""The broadcast session pages (Phiên phát): the list, a new session, one session's form
with its queue, its deletion, and the policy box the form shows beside the area. Thin:
each calls the API's data functions and checks (access_for, require_area), then renders."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.errors import Forbidden, NotFound
from core.models import MAX_ID, PathId
from core.paging import Page
from playlists.sessions import crud
from playlists.sessions.scope import require_targets, session_in_scope
from web import i18n, sessions_data
from web.context import CsrfPageDep, PageDep, PageView
from web.problems import REFUSALS, FormProblems, problems_of
from web.sessions_forms import (
    SESSION_FIELDS,
    SessionFields,
    fields_of,
    new_session_fields,
    session_in,
    session_update,
)
from web.sessions_view import (
    QueueForm,
    page_access,
    refused,
    session_page,
    status_of,
    weekday_names,
    writer,
)

router = APIRouter(include_in_schema=False)
LISTED = 20


def _read(view: PageView, session: Session) -> AccessControl:
    return page_access(view, session, Action.schedule_read)


@router.get("/sessions")
def list_sessions(
    session: SessionDep,
    view: PageDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    try:
        access = _read(view, session)
    except Forbidden as exc:
        return refused(view, exc)
    rows, total = crud.list_sessions(
        session=session, prefixes=access.scope_prefixes(), page=Page(offset=offset, limit=LISTED)
    )
    areas = {a: get_area(session=session, area_id=a) for a in {s.area_id for s in rows}}
    listed = [crud.session_public(session, s) for s in rows]
    context = {
        "sessions": listed,
        "areas": areas,
        "total": total,
        "offset": offset,
        "limit": LISTED,
        "can_write": writer(view, session) is not None,
        "weekday_names": weekday_names(view.locale),
        "href": lambda at: f"/sessions?offset={at}",
    }
    return view.render("sessions/list.html", context)


@router.get("/sessions/new")
def new_session(session: SessionDep, view: PageDep) -> Response:
    access = writer(view, session)
    if access is None:
        return refused(view, Forbidden(f"none of your roles allows {Action.schedule_write.value}"))
    choices = sessions_data.choices_for(session=session, access=access)
    first = choices.areas[0].area.id if choices.areas else None
    return session_page(view, session, fields=new_session_fields(first))


@router.post("/sessions")
def create_session(
    session: SessionDep,
    clock: ClockDep,
    view: CsrfPageDep,
    fields: Annotated[SessionFields, Form()],
) -> Response:
    i18n.use(view.locale)
    built = session_in(fields)
    if isinstance(built, FormProblems):
        return session_page(view, session, fields=fields, problems=built, status_code=422)
    try:
        access = page_access(view, session, Action.schedule_write)
        access.require_area(built.area_id, what="a new session", field="area_id")
        require_targets(access, session, built.target_area_ids, built.target_group_ids)
        found = crud.create_session(
            session=session, session_in=built, actor=access.actor, now=clock.now()
        )
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc, fields=SESSION_FIELDS)
        return session_page(
            view, session, fields=fields, problems=problems, status_code=status_of(exc)
        )
    session.commit()
    return RedirectResponse(f"/sessions/{found.id}?saved=1", status_code=303)


@router.get("/sessions/policy")
def policy_box(
    session: SessionDep,
    view: PageDep,
    area_id: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> Response:
    """The limits in force in an area, for the form to show when its area changes."""
    try:
        _read(view, session).require_area(area_id, what=f"area #{area_id}")
    except (Forbidden, NotFound) as exc:
        return refused(view, exc)
    policy = sessions_data.policy_in_force(session=session, area_id=area_id)
    context = {"policy": policy, "weekday_names": weekday_names(view.locale)}
    return view.render("sessions/_policy.html", context)


@router.get("/sessions/{session_id}")
def show_session(
    session: SessionDep,
    view: PageDep,
    session_id: PathId,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    try:
        found = session_in_scope(session, _read(view, session), session_id)
    except (Forbidden, NotFound) as exc:
        return refused(view, exc)
    public = crud.session_public(session, found)
    return session_page(
        view, session, fields=fields_of(public), found=public, queue_form=QueueForm(q=q)
    )


@router.post("/sessions/{session_id}")
def update_session(
    session: SessionDep,
    clock: ClockDep,
    view: CsrfPageDep,
    session_id: PathId,
    fields: Annotated[SessionFields, Form()],
) -> Response:
    i18n.use(view.locale)
    try:
        found = session_in_scope(session, _read(view, session), session_id)
    except (Forbidden, NotFound) as exc:
        return refused(view, exc)
    public = crud.session_public(session, found)
    fields = fields.model_copy(update={"area_id": str(found.area_id)})
    built = session_update(fields)
    if isinstance(built, FormProblems):
        return session_page(
            view, session, fields=fields, problems=built, found=public, status_code=422
        )
    try:
        access = page_access(view, session, Action.schedule_write)
        found = session_in_scope(session, access, session_id)
        require_targets(access, session, built.target_area_ids, built.target_group_ids)
        crud.update_session(
            session=session, found=found, session_in=built, actor=access.actor, now=clock.now()
        )
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc, fields=SESSION_FIELDS)
        return session_page(
            view,
            session,
            fields=fields,
            problems=problems,
            found=public,
            status_code=status_of(exc),
        )
    session.commit()
    return RedirectResponse(f"/sessions/{session_id}?{urlencode({'saved': 1})}", status_code=303)


@router.post("/sessions/{session_id}/delete")
def delete_session(
    session: SessionDep, clock: ClockDep, view: CsrfPageDep, session_id: PathId
) -> Response:
    i18n.use(view.locale)
    try:
        access = page_access(view, session, Action.schedule_write)
        found = session_in_scope(session, access, session_id)
        crud.delete_session(session=session, found=found, actor=access.actor, now=clock.now())
    except (Forbidden, NotFound) as exc:
        session.rollback()
        return refused(view, exc)
    session.commit()
    return RedirectResponse("/sessions?deleted=1", status_code=303)
