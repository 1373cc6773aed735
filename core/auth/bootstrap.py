"""Create users from the command line, where no one is signed in yet."""

from __future__ import annotations

import getpass
from datetime import datetime

from sqlmodel import Session, col, select

from core.areas.crud import create_root_area
from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.models import Role, RoleGrant, User, UserCreate
from core.auth.users import create_user
from core.errors import Invalid

ROOT_AREA = {"name": "Việt Nam", "level": "country", "code": "VN"}


def cli_actor() -> Actor:
    return Actor(id=None, name=f"cli:{getpass.getuser()}")


def resolve_area(*, session: Session, ref: str | None, timezone: str, now: datetime) -> Area:
    """An area by id, code or exact name; with no reference, the single root area,
    created ("Việt Nam") when the tree is empty."""
    if ref is None:
        roots = session.exec(select(Area).where(col(Area.parent_id).is_(None))).all()
        if len(roots) == 1:
            return roots[0]
        if roots:
            raise Invalid("there are several top-level areas: name one with --area")
        return create_root_area(
            session=session, timezone=timezone, actor=cli_actor(), now=now, **ROOT_AREA
        )
    query = select(Area).where((Area.code == ref) | (Area.name == ref))
    if ref.isdigit():
        query = select(Area).where((Area.id == int(ref)) | (Area.code == ref))
    matches = session.exec(query).all()
    if not matches:
        raise Invalid(f"no area with id, code or name {ref!r}")
    if len(matches) > 1:
        raise Invalid(f"{len(matches)} areas match {ref!r}: use the id or the code")
    return matches[0]


def create_user_with_role(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role,
    area: Area,
    full_name: str,
    now: datetime,
) -> User:
    assert area.id is not None
    user_in = UserCreate(
        username=username,
        full_name=full_name,
        area_id=area.id,
        password=password,
        roles=[RoleGrant(role=role, area_id=area.id)],
    )
    return create_user(session=session, user_in=user_in, actor=cli_actor(), now=now)
