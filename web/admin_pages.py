"""The Administration (Quản trị) landing: the parts of it the reader's roles allow, each a
link to its pages (web/admin_areas.py, admin_users.py, admin_groups.py, admin_policy.py,
admin_import.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from core.auth.permissions import Action
from core.deps import SessionDep
from core.errors import Forbidden
from web.admin_import import may_import
from web.admin_menu import ADMIN_ACTIONS
from web.context import PageDep

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_home(session: SessionDep, view: PageDep) -> Response:
    principal = view.user.principal
    holds = {
        action for action in (*ADMIN_ACTIONS, Action.group_write) if principal.roles_for(action)
    }
    if not holds:
        raise Forbidden(f"none of your roles allows {Action.area_write.value}")
    context = {
        "areas": Action.area_write in holds,
        "users": Action.user_write in holds,
        "groups": Action.group_write in holds,
        "policy": Action.policy_write in holds,
        "import": may_import(session, principal),
    }
    return view.render("admin/index.html", context)
