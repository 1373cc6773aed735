"""What the Administration (Quản trị) pages share: who sees the menu entry, a refusal put
beside the field it concerns, and the area an admin page acts on, checked in scope."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from core.areas.crud import get_area, list_areas
from core.areas.models import Area
from core.auth.deps import AccessControl, access_for
from core.auth.permissions import Action, Principal
from core.paging import Page
from web.choices import AREAS_LISTED, AreaChoice, area_choices
from web.context import PageView
from web.problems import FormProblems, problems_of


def access(session: Session, view: PageView, action: Action) -> AccessControl:
    """The one permission mechanism, as the API's Permission(action) gives it."""
    return access_for(principal=view.user.principal, action=action, session=session)


def area_in_scope(session: Session, control: AccessControl, area_id: int) -> Area:
    area = get_area(session=session, area_id=area_id)
    control.require_area(area.id, what=f"area #{area_id}")
    return area


def beside(exc: Exception, field: str, fields: dict[str, str] | None = None) -> FormProblems:
    """The form's problems from a refusal, a refusal without a field of its own (a code
    already used, an area outside the scope) shown beside `field`; `fields` renames as
    `problems_of` does."""
    found = problems_of(exc, fields=fields)
    if found.general is not None:
        message = found.fields.pop("_")
        found.add(field, message)
    return found


def crumbs(session: Session, principal: Principal, action: Action, area: Area) -> list[Area]:
    """The area's ancestors the reader may act in, top first, then the area itself."""
    ids = [int(part) for part in area.path.strip("/").split("/")[:-1]]
    ancestors = [get_area(session=session, area_id=i) for i in ids]
    return [a for a in ancestors if principal.can(action, a.path)] + [area]


def names_of(session: Session, area_ids: Iterable[int]) -> dict[int, str]:
    """The names of the areas a page's rows mention (a page's worth, not the scope's)."""
    return {i: get_area(session=session, area_id=i).name for i in set(area_ids)}


def near_choices(
    *, session: Session, principal: Principal, action: Action, near_id: int | None = None
) -> list[AreaChoice]:
    """The areas a picker offers: the whole scope when it is short enough to list; else
    (a national admin's 3,355 areas) the way down to the area `near_id` (or the highest
    areas of the scope), that area and the areas right under it."""
    full = area_choices(session=session, principal=principal, action=action)
    if len(full) < AREAS_LISTED:
        return full
    prefixes = principal.scope_prefixes(action)
    near = session.get(Area, near_id) if near_id is not None else None
    if near is not None and principal.can(action, near.path):
        way = crumbs(session, principal, action, near)
    else:
        tops, _total = list_areas(session=session, prefixes=prefixes, page=Page(offset=0, limit=50))
        way = [a for a in tops if a.path in prefixes][:1]
    if not way:
        return []
    below, _total = list_areas(
        session=session,
        prefixes=prefixes,
        page=Page(offset=0, limit=AREAS_LISTED),
        parent_id=way[-1].id,
    )
    listed = [(a, depth) for depth, a in enumerate(way)] + [(a, len(way)) for a in below]
    return [AreaChoice(a.id or 0, a.name, depth) for a, depth in listed]
