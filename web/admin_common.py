"""What the Administration (Quản trị) pages share: who sees the menu entry, a refusal put
beside the field it concerns, and the area an admin page acts on, checked in scope."""

from __future__ import annotations

from sqlmodel import Session

from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.deps import AccessControl, access_for
from core.auth.permissions import Action, Principal
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
