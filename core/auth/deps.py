"""Who is calling (from the bearer token) and what they may do (Permission)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.models import RoleAssignment, User
from core.auth.permissions import Action, Grant, Principal
from core.auth.tokens import user_for_token
from core.deps import ClockDep, SessionDep
from core.errors import Forbidden, Invalid

bearer_scheme = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login")


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_principal(
    session: SessionDep,
    clock: ClockDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None:
        raise _unauthorized(
            "not signed in: send Authorization: Bearer <token> from /api/v1/auth/login"
        )
    principal = principal_for_token(session=session, token=credentials.credentials, now=clock.now())
    if principal is None:
        raise _unauthorized("the token is invalid, expired or revoked: sign in again")
    return principal


def principal_for_token(*, session: Session, token: str, now: datetime) -> Principal | None:
    """Who holds a valid token (a bearer's or a web page's cookie), with their roles."""
    user = user_for_token(session=session, token=token, now=now)
    if user is None or user.id is None:
        return None
    return Principal(user_id=user.id, username=user.username, grants=load_grants(session, user.id))


def load_grants(session: Session, user_id: int) -> tuple[Grant, ...]:
    rows = session.exec(
        select(RoleAssignment, Area.path)
        .join(Area, col(Area.id) == RoleAssignment.area_id)
        .where(RoleAssignment.user_id == user_id)
    ).all()
    return tuple(Grant(role=ra.role, area_id=ra.area_id, area_path=path) for ra, path in rows)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class AccessControl:
    """The caller, the action their route declared, and the check of an object's area."""

    principal: Principal
    action: Action | None
    session: Session

    @property
    def actor(self) -> Actor:
        return Actor(id=self.principal.user_id, name=self.principal.username)

    def require_area(self, area_id: int | None, *, what: str, field: str | None = None) -> None:
        """Refuse unless the declared action is allowed in the area.

        `field` names the request field the area came from: a reference to an area that
        does not exist is then the caller's mistake (422), not a refusal.
        """
        assert self.action is not None, "a route without an action has no area to check"
        area = self.session.get(Area, area_id) if area_id is not None else None
        if area is None and area_id is not None and field is not None:
            raise Invalid(f"area #{area_id} does not exist", field=field)
        if area is None or not self.principal.can(self.action, area.path):
            where = f"area #{area_id}" if area_id is not None else "the top of the area tree"
            raise Forbidden(
                f"{self.action.value} on {what} in {where} is outside your roles' scope"
            )

    def require_manage_user(self, user: User) -> None:
        """Managing an account needs its home area and every area it holds a role in inside
        the caller's scope, so no admin can take over an account that reaches further."""
        held = self.session.exec(
            select(RoleAssignment.area_id).where(RoleAssignment.user_id == user.id)
        ).all()
        for area_id in sorted({user.area_id, *held}):
            self.require_area(area_id, what=f"user #{user.id}")

    def scope_prefixes(self) -> tuple[str, ...]:
        assert self.action is not None
        return self.principal.scope_prefixes(self.action)


class Permission:
    """Route dependency declaring the action a route performs (None: any signed-in user).

    It refuses at once a caller who holds the action nowhere; the route then checks the
    object's area with `require_area`.
    """

    def __init__(self, action: Action | None) -> None:
        self.action = action

    def __call__(self, principal: PrincipalDep, session: SessionDep) -> AccessControl:
        return access_for(principal=principal, action=self.action, session=session)

    def __repr__(self) -> str:
        return f"Permission({self.action})"


def access_for(*, principal: Principal, action: Action | None, session: Session) -> AccessControl:
    """The access control of a caller for an action: the API's routes (Permission) and the
    web pages both get theirs here. Refuses at once a caller who holds the action nowhere."""
    if action is not None and not principal.roles_for(action):
        raise Forbidden(f"none of your roles allows {action.value}")
    return AccessControl(principal=principal, action=action, session=session)
