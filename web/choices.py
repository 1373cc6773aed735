"""The options of a page's pickers, read in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.areas.crud import list_areas
from core.areas.models import Area
from core.auth.permissions import Action, Principal
from core.paging import Page

# A district holds a few hundred areas; a picker longer than this needs a search instead.
AREAS_LISTED = 1000


@dataclass(frozen=True)
class AreaChoice:
    id: int
    name: str
    depth: int  # below the highest area listed: for indenting the tree

    @property
    def indented(self) -> str:
        return "\u00a0\u00a0" * self.depth + self.name


def area_choices(*, session: Session, principal: Principal, action: Action) -> list[AreaChoice]:
    """The areas where `action` is allowed, in tree order."""
    prefixes = principal.scope_prefixes(action)
    if not prefixes:
        return []
    areas, _ = list_areas(
        session=session, prefixes=prefixes, page=Page(offset=0, limit=AREAS_LISTED)
    )
    top = min((a.path.count("/") for a in areas), default=0)
    return [AreaChoice(_id(a), a.name, a.path.count("/") - top) for a in areas]


def area_names(*, session: Session, principal: Principal, action: Action) -> dict[int, str]:
    return {a.id: a.name for a in area_choices(session=session, principal=principal, action=action)}


def _id(area: Area) -> int:
    assert area.id is not None
    return area.id
