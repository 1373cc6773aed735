"""Seed the area tree from `vietnam-provinces`: the 34 provinces and 3,321 communes and
wards of the 2025 reform, with official codes and division types."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import vietnam_provinces as vn
from sqlmodel import Session, col, select

from core.areas.crud import create_area, create_root_area, update_area
from core.areas.models import Area, AreaCreate, AreaUpdate
from core.audit.chain import Actor

COUNTRY_CODE = "VN"


@dataclass(frozen=True, kw_only=True)
class AreaSpec:
    code: str
    name: str
    level: str
    division_type: str
    parent_code: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def province_code(code: int) -> str:
    return f"{code:02d}"


def ward_code(code: int) -> str:
    return f"{code:05d}"


def official_areas(province: int | None = None) -> Iterator[AreaSpec]:
    """Provinces first, each followed by its communes and wards, in code order."""
    provinces = sorted(vn.Province.iter_all(), key=lambda p: int(p.code))
    for p in provinces:
        if province is not None and int(p.code) != province:
            continue
        yield AreaSpec(
            code=province_code(int(p.code)),
            name=p.name,
            level="province",
            division_type=p.division_type.value,
            parent_code=COUNTRY_CODE,
        )
        for w in sorted(vn.Ward.iter_by_province(p.code), key=lambda w: int(w.code)):
            yield AreaSpec(
                code=ward_code(int(w.code)),
                name=w.name,
                level="commune",
                division_type=w.division_type.value,
                parent_code=province_code(int(p.code)),
            )


def known_province(code: int) -> bool:
    return any(int(p.code) == code for p in vn.Province.iter_all())


def import_areas(
    *,
    session: Session,
    specs: list[AreaSpec],
    actor: Actor,
    now: datetime,
    timezone: str,
    progress: Callable[[int], None] = lambda _n: None,
) -> ImportResult:
    """Create what is missing and correct names and division types; matched by code.
    Idempotent: a second run changes nothing."""
    by_code = {a.code: a for a in session.exec(select(Area).where(col(Area.code).is_not(None)))}
    if COUNTRY_CODE not in by_code:
        by_code[COUNTRY_CODE] = _country(session, actor, now, timezone)
    created = updated = unchanged = 0
    for spec in specs:
        existing = by_code.get(spec.code)
        if existing is None:
            parent = by_code[spec.parent_code]
            assert parent.id is not None
            area_in = AreaCreate(
                parent_id=parent.id,
                name=spec.name,
                level=spec.level,
                code=spec.code,
                division_type=spec.division_type,
            )
            by_code[spec.code] = create_area(session=session, area_in=area_in, actor=actor, now=now)
            created += 1
        elif (existing.name, existing.division_type) != (spec.name, spec.division_type):
            update_area(
                session=session,
                area=existing,
                actor=actor,
                now=now,
                area_in=AreaUpdate(name=spec.name, division_type=spec.division_type),
            )
            updated += 1
        else:
            unchanged += 1
        progress(1)
    return ImportResult(created, updated, unchanged)


def _country(session: Session, actor: Actor, now: datetime, timezone: str) -> Area:
    # An existing uncoded root named Việt Nam (made by `admin create-user`) is adopted.
    root = session.exec(
        select(Area).where(col(Area.parent_id).is_(None), Area.name == "Việt Nam")
    ).first()
    if root is not None:
        return update_area(
            session=session, area=root, area_in=AreaUpdate(code=COUNTRY_CODE), actor=actor, now=now
        )
    return create_root_area(
        session=session,
        name="Việt Nam",
        level="country",
        code=COUNTRY_CODE,
        timezone=timezone,
        actor=actor,
        now=now,
    )
