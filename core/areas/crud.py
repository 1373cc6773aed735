"""Data functions for the area tree. Each change is audited in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import String, func, literal, update
from sqlmodel import Session, col, select

from core.areas.models import Area, AreaCreate, AreaPublic, AreaUpdate
from core.audit.chain import Actor, Affects, Subject, record
from core.auth.models import RoleAssignment, User
from core.auth.permissions import in_scope
from core.errors import Conflict, Invalid, NotFound
from core.paging import Page, paginate


def get_area(*, session: Session, area_id: int) -> Area:
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound(f"no area #{area_id}")
    return area


def _snapshot(area: Area) -> dict[str, object]:
    return AreaPublic.model_validate(area).model_dump(mode="json")


def _check_code_free(session: Session, code: str | None, *, except_id: int | None = None) -> None:
    if code is None:
        return
    other = session.exec(select(Area).where(Area.code == code)).first()
    if other is not None and other.id != except_id:
        raise Conflict(f"area code {code!r} is already used by area #{other.id} ({other.name})")


def _insert(session: Session, area: Area, parent: Area | None) -> Area:
    session.add(area)
    session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    session.add(area)
    session.flush()
    return area


def create_area(*, session: Session, area_in: AreaCreate, actor: Actor, now: datetime) -> Area:
    parent = session.get(Area, area_in.parent_id)
    if parent is None:
        raise Invalid(f"parent area #{area_in.parent_id} does not exist", field="parent_id")
    _check_code_free(session, area_in.code)
    data = area_in.model_dump(exclude={"timezone"})
    area = Area(**data, timezone=area_in.timezone or parent.timezone, created_at=now)
    _insert(session, area, parent)
    record(
        session=session,
        actor=actor,
        action="area.create",
        subject=_subject(area),
        now=now,
        after=_snapshot(area),
        affects=_affects(area),
    )
    return area


def _subject(area: Area) -> Subject:
    # Filed under the parent, the area whose admins make these changes, so the history
    # stays readable after the area itself is deleted.
    return Subject("area", area.id, area.parent_id)


def _affects(area: Area) -> Affects:
    return Affects.of(areas=[area.id])


def create_root_area(
    *,
    session: Session,
    name: str,
    level: str,
    code: str | None,
    timezone: str,
    actor: Actor,
    now: datetime,
) -> Area:
    _check_code_free(session, code)
    area = Area(name=name, level=level, code=code, timezone=timezone, created_at=now)
    _insert(session, area, None)
    record(
        session=session,
        actor=actor,
        action="area.create",
        subject=_subject(area),
        now=now,
        after=_snapshot(area),
        affects=_affects(area),
    )
    return area


def update_area(
    *, session: Session, area: Area, area_in: AreaUpdate, actor: Actor, now: datetime
) -> Area:
    before = _snapshot(area)
    changes = area_in.model_dump(exclude_unset=True)
    if "code" in changes:
        _check_code_free(session, changes["code"], except_id=area.id)
    new_parent_id = changes.pop("parent_id", area.parent_id)
    if new_parent_id != area.parent_id:
        _move(session, area, new_parent_id)
    for key, value in changes.items():
        setattr(area, key, value)
    session.add(area)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="area.update",
        subject=_subject(area),
        now=now,
        before=before,
        after=_snapshot(area),
        affects=_affects(area),
    )
    return area


def _move(session: Session, area: Area, new_parent_id: int) -> None:
    parent = session.get(Area, new_parent_id)
    if parent is None:
        raise Invalid(f"parent area #{new_parent_id} does not exist", field="parent_id")
    if parent.path.startswith(area.path):
        raise Invalid("an area cannot be moved under itself or its descendants", field="parent_id")
    old_path, new_path = area.path, f"{parent.path}{area.id}/"
    # Rewrite the prefix of the whole subtree, the area itself included.
    session.execute(
        update(Area)
        .where(col(Area.path).startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String) + func.substr(Area.path, len(old_path) + 1))
        .execution_options(synchronize_session=False)
    )
    area.parent_id = parent.id
    session.flush()
    session.refresh(area)


def delete_area(*, session: Session, area: Area, actor: Actor, now: datetime) -> None:
    if session.exec(select(Area.id).where(Area.parent_id == area.id)).first() is not None:
        raise Conflict(f"area #{area.id} still has areas under it: delete or move them first")
    if session.exec(select(User.id).where(User.area_id == area.id)).first() is not None:
        raise Conflict(f"users belong to area #{area.id}: move them to another area first")
    held = select(RoleAssignment.id).where(RoleAssignment.area_id == area.id)
    if session.exec(held).first() is not None:
        raise Conflict(f"roles are held in area #{area.id}: remove those roles first")
    before = _snapshot(area)
    record(
        session=session,
        actor=actor,
        action="area.delete",
        subject=_subject(area),
        now=now,
        before=before,
        affects=_affects(area),
    )
    session.delete(area)
    session.flush()


def list_areas(
    *,
    session: Session,
    prefixes: Sequence[str],
    page: Page,
    parent_id: int | None = None,
    level: str | None = None,
) -> tuple[list[Area], int]:
    query = select(Area).where(in_scope(col(Area.path), prefixes))
    if parent_id is not None:
        query = query.where(Area.parent_id == parent_id)
    if level is not None:
        query = query.where(Area.level == level)
    return paginate(session, query, page, col(Area.path))
