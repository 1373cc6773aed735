"""Users and their roles under /api/v1/users: admins manage, supervisors read, in scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from core.auth import users as crud
from core.auth.deps import AccessControl, Permission
from core.auth.models import (
    RoleAssignmentPublic,
    RoleGrant,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.models import MAX_ID, PathId
from core.paging import PageDep

router = APIRouter(prefix="/api/v1/users", tags=["users (người dùng)"])

ReadAccess = Annotated[AccessControl, Depends(Permission(Action.user_read))]
WriteAccess = Annotated[AccessControl, Depends(Permission(Action.user_write))]


@router.get("", response_model=UsersPublic, summary="List users homed in your scope")
def list_users(
    session: SessionDep,
    access: ReadAccess,
    page: PageDep,
    area_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only users of this area")
    ] = None,
) -> UsersPublic:
    rows, total = crud.list_users(
        session=session, prefixes=access.scope_prefixes(), page=page, area_id=area_id
    )
    return UsersPublic(data=[crud.to_public(session, u) for u in rows], count=total)


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user, with roles, in areas you administer",
)
def create_user(
    session: SessionDep, access: WriteAccess, clock: ClockDep, user_in: UserCreate
) -> UserPublic:
    access.require_area(user_in.area_id, what="a new user", field="area_id")
    for grant in user_in.roles:
        access.require_area(grant.area_id, what=f"a {grant.role.value} role", field="roles.area_id")
    user = crud.create_user(session=session, user_in=user_in, actor=access.actor, now=clock.now())
    session.commit()
    return crud.to_public(session, user)


@router.get("/{user_id}", response_model=UserPublic, summary="Read one user")
def read_user(session: SessionDep, access: ReadAccess, user_id: PathId) -> UserPublic:
    user = crud.get_user(session=session, user_id=user_id)
    access.require_area(user.area_id, what=f"user #{user_id}")
    return crud.to_public(session, user)


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    summary="Change a user's name, password, home area or active flag",
)
def update_user(
    session: SessionDep, access: WriteAccess, clock: ClockDep, user_id: PathId, user_in: UserUpdate
) -> UserPublic:
    user = crud.get_user(session=session, user_id=user_id)
    access.require_manage_user(user)
    if user_in.area_id is not None:
        access.require_area(user_in.area_id, what=f"moving user #{user_id}", field="area_id")
    user = crud.update_user(
        session=session, user=user, user_in=user_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.to_public(session, user)


@router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a user (kept for the audit trail) and end their sessions",
)
def deactivate_user(
    session: SessionDep, access: WriteAccess, clock: ClockDep, user_id: PathId
) -> None:
    user = crud.get_user(session=session, user_id=user_id)
    access.require_manage_user(user)
    crud.deactivate_user(session=session, user=user, actor=access.actor, now=clock.now())
    session.commit()


@router.post(
    "/{user_id}/roles",
    response_model=RoleAssignmentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Give a user a role in an area",
)
def grant_role(
    session: SessionDep, access: WriteAccess, clock: ClockDep, user_id: PathId, grant: RoleGrant
) -> RoleAssignmentPublic:
    user = crud.get_user(session=session, user_id=user_id)
    access.require_manage_user(user)
    access.require_area(grant.area_id, what=f"a {grant.role.value} role", field="area_id")
    assignment = crud.grant_role(
        session=session, user=user, grant=grant, actor=access.actor, now=clock.now()
    )
    session.commit()
    return RoleAssignmentPublic.model_validate(assignment)


@router.delete(
    "/{user_id}/roles/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Take a role away from a user",
)
def revoke_role(
    session: SessionDep,
    access: WriteAccess,
    clock: ClockDep,
    user_id: PathId,
    assignment_id: PathId,
) -> None:
    user = crud.get_user(session=session, user_id=user_id)
    access.require_manage_user(user)
    assignment = crud.get_role(session=session, user=user, assignment_id=assignment_id)
    access.require_area(assignment.area_id, what=f"a {assignment.role.value} role")
    crud.revoke_role(session=session, assignment=assignment, actor=access.actor, now=clock.now())
    session.commit()
