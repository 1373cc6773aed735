"""Data functions for users and their roles. Each change is audited in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.audit.chain import Actor, Subject, record
from core.auth.models import (
    Role,
    RoleAssignment,
    RoleAssignmentPublic,
    RoleGrant,
    User,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from core.auth.passwords import hash_password
from core.auth.tokens import revoke_user_tokens
from core.errors import Conflict, Invalid, NotFound
from core.paging import Page, paginate


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user #{user_id}")
    return user


def get_user_by_name(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def roles_of(session: Session, user_id: int) -> list[RoleAssignment]:
    query = select(RoleAssignment).where(RoleAssignment.user_id == user_id)
    return list(session.exec(query.order_by(col(RoleAssignment.id))).all())


def to_public(session: Session, user: User) -> UserPublic:
    assert user.id is not None
    roles = [RoleAssignmentPublic.model_validate(r) for r in roles_of(session, user.id)]
    return UserPublic.model_validate(user, update={"roles": roles})


def _snapshot(session: Session, user: User) -> dict[str, object]:
    return to_public(session, user).model_dump(mode="json", exclude={"created_at"})


def _require_area(session: Session, area_id: int, field: str) -> None:
    if session.get(Area, area_id) is None:
        raise Invalid(f"area #{area_id} does not exist", field=field)


def create_user(*, session: Session, user_in: UserCreate, actor: Actor, now: datetime) -> User:
    if get_user_by_name(session=session, username=user_in.username) is not None:
        raise Conflict(f"username {user_in.username!r} is taken")
    _require_area(session, user_in.area_id, "area_id")
    for grant in user_in.roles:
        _require_area(session, grant.area_id, "roles.area_id")
    user = User(
        username=user_in.username,
        full_name=user_in.full_name,
        area_id=user_in.area_id,
        password_hash=hash_password(user_in.password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for role, area_id in sorted({(g.role, g.area_id) for g in user_in.roles}):
        session.add(RoleAssignment(user_id=user.id, role=role, area_id=area_id, created_at=now))
    session.flush()
    after = _snapshot(session, user)
    record(
        session=session,
        actor=actor,
        action="user.create",
        subject=Subject("user", user.id, user.area_id),
        now=now,
        after=after,
    )
    return user


def update_user(
    *, session: Session, user: User, user_in: UserUpdate, actor: Actor, now: datetime
) -> User:
    assert user.id is not None
    before = _snapshot(session, user)
    changes = user_in.model_dump(exclude_unset=True)
    if changes.get("is_active") is False and user.id == actor.id:
        raise Invalid("you cannot deactivate your own account", field="is_active")
    if "area_id" in changes:
        _require_area(session, changes["area_id"], "area_id")
    password = changes.pop("password", None)
    if password is not None:
        user.password_hash = hash_password(password)
    for key, value in changes.items():
        setattr(user, key, value)
    if password is not None or changes.get("is_active") is False:
        revoke_user_tokens(session=session, user_id=user.id, now=now)
    session.add(user)
    session.flush()
    after = _snapshot(session, user) | ({"password": "changed"} if password else {})
    record(
        session=session,
        actor=actor,
        action="user.update",
        subject=Subject("user", user.id, user.area_id),
        now=now,
        before=before,
        after=after,
    )
    return user


def deactivate_user(*, session: Session, user: User, actor: Actor, now: datetime) -> None:
    update_user(
        session=session, user=user, user_in=UserUpdate(is_active=False), actor=actor, now=now
    )


def grant_role(
    *, session: Session, user: User, grant: RoleGrant, actor: Actor, now: datetime
) -> RoleAssignment:
    assert user.id is not None
    _require_area(session, grant.area_id, "area_id")
    existing = session.exec(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == grant.role,
            RoleAssignment.area_id == grant.area_id,
        )
    ).first()
    if existing is not None:
        raise Conflict(f"user #{user.id} already holds {grant.role.value} in area #{grant.area_id}")
    assignment = RoleAssignment(
        user_id=user.id, role=grant.role, area_id=grant.area_id, created_at=now
    )
    session.add(assignment)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="role.grant",
        subject=Subject("user", user.id, grant.area_id),
        now=now,
        after=RoleAssignmentPublic.model_validate(assignment).model_dump(mode="json"),
    )
    return assignment


def get_role(*, session: Session, user: User, assignment_id: int) -> RoleAssignment:
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user.id:
        raise NotFound(f"user #{user.id} has no role assignment #{assignment_id}")
    return assignment


def revoke_role(
    *, session: Session, assignment: RoleAssignment, actor: Actor, now: datetime
) -> None:
    if assignment.user_id == actor.id and assignment.role == Role.admin:
        raise Invalid("you cannot take away your own admin role: ask another admin")
    before = RoleAssignmentPublic.model_validate(assignment).model_dump(mode="json")
    session.delete(assignment)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="role.revoke",
        subject=Subject("user", assignment.user_id, assignment.area_id),
        now=now,
        before=before,
    )


def list_users(
    *,
    session: Session,
    prefixes: Sequence[str],
    page: Page,
    area_id: int | None = None,
) -> tuple[list[User], int]:
    query = within_areas(select(User), area_id=col(User.area_id), prefixes=prefixes)
    if area_id is not None:
        query = query.where(User.area_id == area_id)
    return paginate(session, query, page, col(User.username))
