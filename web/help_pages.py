"""Help (Hướng dẫn): a short guide for each role, the reader's own roles first. The guide
is prose, so it is one template per language rather than catalog entries."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from core.auth.models import Role
from web.context import PageDep

router = APIRouter(include_in_schema=False)
ROLE_ORDER = (Role.operator, Role.approver, Role.supervisor, Role.admin)


@router.get("/help")
def help_page(view: PageDep) -> Response:
    held = {grant.role for grant in view.user.principal.grants}
    roles = [r for r in ROLE_ORDER if r in held] + [r for r in ROLE_ORDER if r not in held]
    return view.render(
        f"help/{view.locale}.html", {"roles": [r.value for r in roles], "held": held}
    )
