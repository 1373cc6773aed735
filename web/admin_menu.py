"""Who sees the main menu's "Quản trị" (Administration): a holder of an action only an
admin holds, somewhere. Apart from the pages so the templates can ask it."""

from __future__ import annotations

from core.auth.permissions import Action, Principal

ADMIN_ACTIONS = (Action.area_write, Action.user_write, Action.policy_write)


def administers(principal: Principal | None) -> bool:
    return principal is not None and any(principal.roles_for(a) for a in ADMIN_ACTIONS)
