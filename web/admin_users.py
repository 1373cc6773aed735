"""Users and their roles (Quản trị › Người dùng): the users homed in the reader's scope,
adding one, deactivating and reactivating, giving and taking away a role in an area, and a
new password made by the server and shown once, on a no-store answer (only its hash is
kept). The API's data functions (core/auth/users.py) and its checks: the account's home
and every area it holds a role in within the reader's scope (require_manage_user), and the
role's area too (require_area)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth import users as crud
from core.auth.deps import AccessControl
from core.auth.models import Role, RoleGrant, User, UserCreate, UserUpdate
from core.auth.permissions import Action
from core.deps import SessionDep
from core.errors import Conflict
from core.models import MAX_ID, PathId
from core.paging import Page
from web.admin_common import access, area_in_scope, beside, names_of, near_choices
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import N_, REFUSALS, FormProblems, problems_of, status_of

router = APIRouter(include_in_schema=False)
LISTED = 50
# Without look-alikes (0/O, 1/l/I): read aloud over the phone and typed on another.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ROLE_NAMES = {
    Role.admin: N_("admin"),
    Role.operator: N_("operator"),
    Role.approver: N_("approver"),
    Role.supervisor: N_("supervisor"),
}
Short = Field(default="", max_length=200)


def new_password() -> str:
    """12 random characters in three groups, e.g. `k7mp-2qxz-h4dn` (~59 bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in (0, 4, 8))


def _writer(session: Session, view: PageView) -> AccessControl:
    return access(session, view, Action.user_write)


def _roles() -> list[tuple[str, str]]:
    return [(r.value, _(ROLE_NAMES[r])) for r in Role]


def _user_in_scope(session: Session, control: AccessControl, user_id: int) -> User:
    user = crud.get_user(session=session, user_id=user_id)
    control.require_area(user.area_id, what=f"user #{user_id}")
    return user


@router.get("/admin/users")
def users_list(
    session: SessionDep,
    view: PageDep,
    area: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    control = _writer(session, view)
    place = area_in_scope(session, control, area) if area is not None else None
    rows, total = crud.list_users(
        session=session,
        prefixes=control.scope_prefixes(),
        page=Page(offset=offset, limit=LISTED),
        area_id=area,
    )
    users = [(u, crud.roles_of(session, u.id or 0)) for u in rows]
    mentioned = [u.area_id for u in rows] + [r.area_id for _u, roles in users for r in roles]
    names = names_of(session, mentioned)
    suffix = f"&area={area}" if area else ""
    context = {
        "users": users,
        "area": place,
        "names": names,
        "role_names": dict(_roles()),
        "total": total,
        "offset": offset,
        "limit": LISTED,
        "href": lambda o: f"/admin/users?offset={o}{suffix}",
    }
    return view.render("admin/users.html", context)


class NewUserFields(BaseModel):
    username: str = Field(default="", max_length=64)
    full_name: str = Short
    area_id: str = Short
    role: str = Field(default="", max_length=20)


def _new_page(
    session: Session,
    view: PageView,
    fields: NewUserFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    near = int(fields.area_id) if fields.area_id.isdigit() else None
    areas = near_choices(
        session=session, principal=view.user.principal, action=Action.user_write, near_id=near
    )
    context = {
        "fields": fields,
        "areas": areas,
        "roles": _roles(),
        "problems": problems or FormProblems(),
    }
    return view.render("admin/user_new.html", context, status_code=status_code)


@router.get("/admin/users/new")
def new_user(
    session: SessionDep, view: PageDep, area: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    _writer(session, view)
    return _new_page(session, view, NewUserFields(area_id=str(area or "")))


@router.post("/admin/users/new")
def create_user(
    session: SessionDep, view: CsrfPageDep, fields: Annotated[NewUserFields, Form()]
) -> Response:
    """The account gets a password made here, shown on this answer only."""
    control = _writer(session, view)
    password = new_password()
    try:
        area_id = fields.area_id or None
        roles = [{"role": fields.role, "area_id": area_id}] if fields.role else []
        user_in = UserCreate.model_validate(
            {
                "username": fields.username.strip().lower(),
                "full_name": fields.full_name.strip(),
                "area_id": area_id,
                "password": password,
                "roles": roles,
            }
        )
    except ValidationError as exc:
        problems = problems_of(exc, fields={"roles": "role"})
        return _new_page(session, view, fields, problems, 422)
    try:
        control.require_area(user_in.area_id, what="a new user", field="area_id")
        user = crud.create_user(session=session, user_in=user_in, actor=control.actor, now=view.now)
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        where = "username" if isinstance(exc, Conflict) else "area_id"
        return _new_page(session, view, fields, beside(exc, where), status_of(exc))
    return _user_page(session, view, user, password=password, done="created")


def _user_page(
    session: Session,
    view: PageView,
    user: User,
    *,
    password: str | None = None,
    done: str = "",
    role_fields: dict[str, str] | None = None,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    assert user.id is not None
    principal = view.user.principal
    areas = near_choices(
        session=session, principal=principal, action=Action.user_write, near_id=user.area_id
    )
    roles = [
        (r, get_area(session=session, area_id=r.area_id)) for r in crud.roles_of(session, user.id)
    ]
    context: dict[str, Any] = {
        "person": user,
        "home": get_area(session=session, area_id=user.area_id),
        "roles": roles,
        "role_names": dict(_roles()),
        "role_choices": _roles(),
        "areas": areas,
        "password": password,
        "done": done,
        "role_fields": role_fields or {},
        "problems": problems or FormProblems(),
        "own": user.id == principal.user_id,
    }
    headers = {"Cache-Control": "no-store"} if password else None
    return view.render("admin/user.html", context, status_code=status_code, headers=headers)


@router.get("/admin/users/{user_id}")
def user_page(
    session: SessionDep,
    view: PageDep,
    user_id: PathId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    user = _user_in_scope(session, _writer(session, view), user_id)
    return _user_page(session, view, user, done=done)


def _managed(session: Session, view: PageView, user_id: int) -> tuple[AccessControl, User]:
    control = _writer(session, view)
    user = crud.get_user(session=session, user_id=user_id)
    control.require_manage_user(user)
    return control, user


@router.post("/admin/users/{user_id}/active")
def set_active(
    session: SessionDep,
    view: CsrfPageDep,
    user_id: PathId,
    active: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    control, user = _managed(session, view, user_id)
    try:
        crud.update_user(
            session=session,
            user=user,
            user_in=UserUpdate(is_active=active == "1"),
            actor=control.actor,
            now=view.now,
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        user = crud.get_user(session=session, user_id=user_id)
        return _user_page(
            session,
            view,
            user,
            problems=beside(exc, "active", {"is_active": "active"}),
            status_code=status_of(exc),
        )
    done = "activated" if active == "1" else "deactivated"
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}/password")
def reset_password(session: SessionDep, view: CsrfPageDep, user_id: PathId) -> Response:
    """A new password, shown on this answer only (no-store), never a redirect: only its
    hash is kept, and the user's sessions end."""
    control, user = _managed(session, view, user_id)
    password = new_password()
    crud.update_user(
        session=session,
        user=user,
        user_in=UserUpdate(password=password),
        actor=control.actor,
        now=view.now,
    )
    session.commit()
    return _user_page(session, view, user, password=password, done="password")


class RoleFields(BaseModel):
    role: str = Field(default="", max_length=20)
    area_id: str = Short


@router.post("/admin/users/{user_id}/roles")
def grant_role(
    session: SessionDep,
    view: CsrfPageDep,
    user_id: PathId,
    fields: Annotated[RoleFields, Form()],
) -> Response:
    control, user = _managed(session, view, user_id)
    typed = fields.model_dump()
    try:
        grant = RoleGrant.model_validate({"role": fields.role, "area_id": fields.area_id or None})
    except ValidationError as exc:
        return _user_page(
            session, view, user, role_fields=typed, problems=problems_of(exc), status_code=422
        )
    try:
        control.require_area(grant.area_id, what=f"a {grant.role.value} role", field="area_id")
        crud.grant_role(session=session, user=user, grant=grant, actor=control.actor, now=view.now)
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        user = crud.get_user(session=session, user_id=user_id)
        problems = beside(exc, "area_id")
        return _user_page(
            session, view, user, role_fields=typed, problems=problems, status_code=status_of(exc)
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=granted", status_code=303)


@router.post("/admin/users/{user_id}/roles/{assignment_id}/remove")
def revoke_role(
    session: SessionDep, view: CsrfPageDep, user_id: PathId, assignment_id: PathId
) -> Response:
    control, user = _managed(session, view, user_id)
    assignment = crud.get_role(session=session, user=user, assignment_id=assignment_id)
    control.require_area(assignment.area_id, what=f"a {assignment.role.value} role")
    try:
        crud.revoke_role(session=session, assignment=assignment, actor=control.actor, now=view.now)
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        user = crud.get_user(session=session, user_id=user_id)
        return _user_page(
            session, view, user, problems=beside(exc, "roles"), status_code=status_of(exc)
        )
    return RedirectResponse(f"/admin/users/{user_id}?done=removed", status_code=303)
