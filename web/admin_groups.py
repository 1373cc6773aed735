"""Groups of loudspeaker clusters (Quản trị › Nhóm cụm loa): the groups of areas in scope,
adding one, renaming, adding and removing clusters (only those of the group's area and
below, each in the reader's scope), deleting after a confirmation. The API's data
functions (stations/crud.py) and checks (group.write in the group's area, and in each
member's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import SessionDep
from core.models import PathId
from core.paging import Page
from stations import crud
from stations.models import StationGroup, StationGroupCreate, StationGroupUpdate
from web.admin_common import access, beside, names_of, near_choices
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import REFUSALS, FormProblems, problems_of, status_of

router = APIRouter(include_in_schema=False)
LISTED = 500  # groups, and the clusters offered to add, on one page
Short = Field(default="", max_length=200)


class GroupFields(BaseModel):
    name: str = Short
    area_id: str = Short


def _writer(session: Session, view: PageView) -> AccessControl:
    return access(session, view, Action.group_write)


def _group_in_scope(session: Session, control: AccessControl, group_id: int) -> StationGroup:
    group = crud.get_group(session=session, group_id=group_id)
    control.require_area(group.area_id, what=f"station group #{group_id}")
    return group


def _list_page(
    session: Session,
    view: PageView,
    fields: GroupFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    control = _writer(session, view)
    groups, _total = crud.list_groups(
        session=session, prefixes=control.scope_prefixes(), page=Page(offset=0, limit=LISTED)
    )
    principal = view.user.principal
    context = {
        "groups": [(g, len(crud.group_station_ids(session, g.id or 0))) for g in groups],
        "names": names_of(session, [g.area_id for g in groups]),
        "areas": near_choices(session=session, principal=principal, action=Action.group_write),
        "fields": fields,
        "problems": problems or FormProblems(),
        "deleted": view.request.query_params.get("deleted") == "1",
    }
    return view.render("admin/groups.html", context, status_code=status_code)


@router.get("/admin/groups")
def groups_page(session: SessionDep, view: PageDep) -> Response:
    return _list_page(session, view, GroupFields())


@router.post("/admin/groups")
def create_group(
    session: SessionDep, view: CsrfPageDep, fields: Annotated[GroupFields, Form()]
) -> Response:
    control = _writer(session, view)
    try:
        group_in = StationGroupCreate.model_validate(
            {"name": fields.name.strip(), "area_id": fields.area_id or None}
        )
    except ValidationError as exc:
        return _list_page(session, view, fields, problems_of(exc), 422)
    try:
        control.require_area(group_in.area_id, what="a new station group", field="area_id")
        group = crud.create_group(
            session=session, group_in=group_in, actor=control.actor, now=view.now
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        return _list_page(session, view, fields, beside(exc, "area_id"), status_of(exc))
    return RedirectResponse(f"/admin/groups/{group.id}?done=created", status_code=303)


def _group_page(
    session: Session,
    view: PageView,
    group: StationGroup,
    *,
    name: str | None = None,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    assert group.id is not None
    members = set(crud.group_station_ids(session, group.id))
    area = get_area(session=session, area_id=group.area_id)
    # The clusters the group may hold: its area's and those below, in the reader's scope
    # (the group's area is, so all of its subtree is).
    reachable, _total = crud.list_stations(
        session=session, prefixes=(area.path,), page=Page(offset=0, limit=LISTED)
    )
    context: dict[str, Any] = {
        "group": group,
        "area": area,
        "name": group.name if name is None else name,
        "members": [s for s in reachable if s.id in members],
        "others": [s for s in reachable if s.id not in members],
        "missing": len(members - {s.id for s in reachable}),
        "problems": problems or FormProblems(),
        "done": view.request.query_params.get("done", "")[:20],
    }
    return view.render("admin/group.html", context, status_code=status_code)


@router.get("/admin/groups/{group_id}")
def group_page(session: SessionDep, view: PageDep, group_id: PathId) -> Response:
    group = _group_in_scope(session, _writer(session, view), group_id)
    return _group_page(session, view, group)


def _update(
    session: Session,
    view: PageView,
    group_id: int,
    change: dict[str, Any],
    field: str,
    done: str,
    name: str | None = None,
) -> Response:
    control = _writer(session, view)
    group = _group_in_scope(session, control, group_id)
    try:
        group_in = StationGroupUpdate.model_validate(change)
        for station in crud.stations_by_id(session=session, station_ids=group_in.station_ids or []):
            control.require_area(station.area_id, what=f"station #{station.id}")
        crud.update_group(
            session=session, group=group, group_in=group_in, actor=control.actor, now=view.now
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        group = crud.get_group(session=session, group_id=group_id)
        fields = {"station_ids": field} if field != "name" else None
        problems = (
            problems_of(exc, fields=fields)
            if isinstance(exc, ValidationError)
            else beside(exc, field)
        )
        return _group_page(
            session, view, group, name=name, problems=problems, status_code=status_of(exc)
        )
    return RedirectResponse(f"/admin/groups/{group_id}?done={done}", status_code=303)


@router.post("/admin/groups/{group_id}/rename")
def rename_group(
    session: SessionDep,
    view: CsrfPageDep,
    group_id: PathId,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _update(session, view, group_id, {"name": name.strip()}, "name", "renamed", name)


@router.post("/admin/groups/{group_id}/stations")
def change_members(
    session: SessionDep,
    view: CsrfPageDep,
    group_id: PathId,
    add: Annotated[str, Form(max_length=20)] = "",
    remove: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Adds the cluster `add`, or takes away `remove`: the group's list with it or without."""
    group = _group_in_scope(session, _writer(session, view), group_id)
    members = crud.group_station_ids(session, group_id)
    if remove:
        members = [s for s in members if str(s) != remove]
        return _update(session, view, group.id or 0, {"station_ids": members}, "add", "removed")
    if not add:
        problems = FormProblems()
        problems.add("add", _("Choose a cluster from the list."))
        return _group_page(session, view, group, problems=problems, status_code=422)
    change: dict[str, Any] = {"station_ids": [*members, add]}
    return _update(session, view, group_id, change, "add", "added")


@router.get("/admin/groups/{group_id}/delete")
def delete_confirmation(session: SessionDep, view: PageDep, group_id: PathId) -> Response:
    group = _group_in_scope(session, _writer(session, view), group_id)
    return view.render("admin/group_delete.html", {"group": group})


@router.post("/admin/groups/{group_id}/delete")
def delete_group(session: SessionDep, view: CsrfPageDep, group_id: PathId) -> Response:
    control = _writer(session, view)
    group = _group_in_scope(session, control, group_id)
    crud.delete_group(session=session, group=group, actor=control.actor, now=view.now)
    session.commit()
    return RedirectResponse("/admin/groups?deleted=1", status_code=303)
