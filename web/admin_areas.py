"""The area tree's pages (Quản trị › Địa bàn): browsed one level at a time with the way up
as breadcrumbs; an area's children; adding a child, renaming and moving (admins of the
parent, as the API), deleting after a confirmation. The API's data functions and checks
(core/areas/crud.py, AccessControl.require_area), then a template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from core.areas import crud
from core.areas.models import Area, AreaCreate, AreaUpdate
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import SessionDep
from core.errors import Forbidden
from core.models import MAX_ID, PathId
from core.paging import Page
from web.admin_common import access, area_in_scope, beside, crumbs
from web.admin_import import may_import
from web.context import CsrfPageDep, PageDep, PageView
from web.problems import REFUSALS, FormProblems, problems_of, status_of

router = APIRouter(include_in_schema=False)
# The level a new child usually has, by its parent's.
CHILD_LEVEL = {"country": "province", "province": "commune", "commune": "village"}
CHILDREN = 100  # an area's children listed a page at a time (a province has up to ~170)
PARENTS = 500  # the areas offered as a new parent
Short = Field(default="", max_length=200)
DONE = Query(max_length=20)


class AreaFields(BaseModel):
    """An area's form, as typed."""

    name: str = Short
    level: str = Short
    code: str = Short
    division_type: str = Short
    parent_id: str = Short


def _writer(session: Session, view: PageView) -> AccessControl:
    return access(session, view, Action.area_write)


def _parent_writer(session: Session, control: AccessControl, area: Area) -> None:
    """Renaming, moving and deleting an area are its parent's admins' (the API's rule)."""
    control.require_area(area.parent_id, what=f"area #{area.id}")


def _may_change(view: PageView, session: Session, area: Area) -> bool:
    if area.parent_id is None:
        return False
    parent = crud.get_area(session=session, area_id=area.parent_id)
    return view.user.principal.can(Action.area_write, parent.path)


@router.get("/admin/areas")
def areas_top(session: SessionDep, view: PageDep) -> Response:
    """The highest areas the reader administers; straight to it when there is one."""
    control = _writer(session, view)
    tops, _total = crud.list_areas(
        session=session, prefixes=control.scope_prefixes(), page=Page(offset=0, limit=CHILDREN)
    )
    tops = [a for a in tops if a.path in control.scope_prefixes()]
    if len(tops) == 1:
        return RedirectResponse(f"/admin/areas/{tops[0].id}", status_code=303)
    context = {"tops": tops, "import": may_import(session, view.user.principal)}
    return view.render("admin/areas_top.html", context)


def _area_page(
    session: Session,
    view: PageView,
    area: Area,
    *,
    offset: int = 0,
    fields: AreaFields | None = None,
    problems: FormProblems | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    control = _writer(session, view)
    children, total = crud.list_areas(
        session=session,
        prefixes=control.scope_prefixes(),
        page=Page(offset=offset, limit=CHILDREN),
        parent_id=area.id,
    )
    principal = view.user.principal
    context: dict[str, Any] = {
        "area": area,
        "crumbs": crumbs(session, principal, Action.area_write, area)[:-1],
        "children": children,
        "total": total,
        "offset": offset,
        "limit": CHILDREN,
        "href": lambda o: f"/admin/areas/{area.id}?offset={o}",
        "fields": fields or AreaFields(level=CHILD_LEVEL.get(area.level, "")),
        "problems": problems or FormProblems(),
        "can_change": _may_change(view, session, area),
        "can_policy": principal.can(Action.policy_write, area.path),
        "can_users": principal.can(Action.user_write, area.path),
        "done": done,
    }
    return view.render("admin/area.html", context, status_code=status_code)


@router.get("/admin/areas/{area_id}")
def area_page(
    session: SessionDep,
    view: PageDep,
    area_id: PathId,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    done: Annotated[str, DONE] = "",
) -> Response:
    area = area_in_scope(session, _writer(session, view), area_id)
    return _area_page(session, view, area, offset=offset, done=done)


def _child_in(area: Area, fields: AreaFields) -> AreaCreate | FormProblems:
    try:
        return AreaCreate.model_validate(
            {
                "parent_id": area.id,
                "name": fields.name.strip(),
                "level": fields.level.strip(),
                "code": fields.code.strip() or None,
                "division_type": fields.division_type.strip() or None,
            }
        )
    except ValidationError as exc:
        return problems_of(exc)


@router.post("/admin/areas/{area_id}/children")
def create_child(
    session: SessionDep,
    view: CsrfPageDep,
    area_id: PathId,
    fields: Annotated[AreaFields, Form()],
) -> Response:
    control = _writer(session, view)
    area = area_in_scope(session, control, area_id)
    built = _child_in(area, fields)
    if isinstance(built, FormProblems):
        return _area_page(session, view, area, fields=fields, problems=built, status_code=422)
    try:
        child = crud.create_area(session=session, area_in=built, actor=control.actor, now=view.now)
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        problems = beside(exc, "code")
        return _area_page(
            session, view, area, fields=fields, problems=problems, status_code=status_of(exc)
        )
    return RedirectResponse(f"/admin/areas/{child.id}?done=created", status_code=303)


def _parents(session: Session, control: AccessControl, area: Area) -> list[Area]:
    """Where the area may go: the areas of its parent's level in the reader's scope (a
    commune to another province), never itself or below it."""
    assert area.parent_id is not None
    parent = crud.get_area(session=session, area_id=area.parent_id)
    rows, _total = crud.list_areas(
        session=session,
        prefixes=control.scope_prefixes(),
        page=Page(offset=0, limit=PARENTS),
        level=parent.level,
    )
    return [a for a in rows if not a.path.startswith(area.path)]


def _edit_page(
    session: Session,
    view: PageView,
    area: Area,
    fields: AreaFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    control = _writer(session, view)
    context = {
        "area": area,
        "crumbs": crumbs(session, view.user.principal, Action.area_write, area),
        "fields": fields,
        "parents": [(a.id, a.name) for a in _parents(session, control, area)],
        "problems": problems or FormProblems(),
    }
    return view.render("admin/area_edit.html", context, status_code=status_code)


def _changeable(session: Session, view: PageView, area_id: int) -> tuple[AccessControl, Area]:
    control = _writer(session, view)
    area = crud.get_area(session=session, area_id=area_id)
    if area.parent_id is None:
        where = "the top of the area tree"
        raise Forbidden(f"area.write on area #{area_id} in {where} is outside your roles' scope")
    _parent_writer(session, control, area)
    return control, area


@router.get("/admin/areas/{area_id}/edit")
def edit_area(session: SessionDep, view: PageDep, area_id: PathId) -> Response:
    _control, area = _changeable(session, view, area_id)
    fields = AreaFields(
        name=area.name,
        level=area.level,
        code=area.code or "",
        division_type=area.division_type or "",
        parent_id=str(area.parent_id),
    )
    return _edit_page(session, view, area, fields)


@router.post("/admin/areas/{area_id}/edit")
def save_area(
    session: SessionDep,
    view: CsrfPageDep,
    area_id: PathId,
    fields: Annotated[AreaFields, Form()],
) -> Response:
    control, area = _changeable(session, view, area_id)
    try:
        area_in = AreaUpdate.model_validate(
            {
                "name": fields.name.strip(),
                "code": fields.code.strip() or None,
                "division_type": fields.division_type.strip() or None,
                "parent_id": fields.parent_id or str(area.parent_id),
            }
        )
    except ValidationError as exc:
        return _edit_page(session, view, area, fields, problems_of(exc), 422)
    try:
        if area_in.parent_id != area.parent_id:
            control.require_area(
                area_in.parent_id, what=f"moving area #{area_id}", field="parent_id"
            )
        crud.update_area(
            session=session, area=area, area_in=area_in, actor=control.actor, now=view.now
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        field = "parent_id" if isinstance(exc, Forbidden) else "code"
        area = crud.get_area(session=session, area_id=area_id)
        return _edit_page(session, view, area, fields, beside(exc, field), status_of(exc))
    return RedirectResponse(f"/admin/areas/{area_id}?done=saved", status_code=303)


@router.get("/admin/areas/{area_id}/delete")
def delete_confirmation(session: SessionDep, view: PageDep, area_id: PathId) -> Response:
    _control, area = _changeable(session, view, area_id)
    return view.render("admin/area_delete.html", {"area": area})


@router.post("/admin/areas/{area_id}/delete")
def delete_area(session: SessionDep, view: CsrfPageDep, area_id: PathId) -> Response:
    control, area = _changeable(session, view, area_id)
    parent_id = area.parent_id
    try:
        crud.delete_area(session=session, area=area, actor=control.actor, now=view.now)
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        message = problems_of(exc).general
        context = {"area": area, "error": message}
        return view.render("admin/area_delete.html", context, status_code=status_of(exc))
    return RedirectResponse(f"/admin/areas/{parent_id}?done=deleted", status_code=303)
