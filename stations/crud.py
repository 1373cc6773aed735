"""Data functions for stations and station groups. Each change is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, text
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.audit.chain import Actor, Affects, Subject, record
from core.db import chunks
from core.errors import Conflict, Invalid, NotFound
from core.paging import Page, paginate
from stations.location import require_whole_location
from stations.models import (
    Station,
    StationCreate,
    StationGroup,
    StationGroupCreate,
    StationGroupMember,
    StationGroupPublic,
    StationGroupUpdate,
    StationPublic,
    StationUpdate,
)


def _station_subject(station: Station) -> Subject:
    return Subject("station", station.id, station.area_id)


def _group_subject(group: StationGroup) -> Subject:
    return Subject("station_group", group.id, group.area_id)


def _members_affected(*sides: dict[str, Any] | None) -> Affects:
    """A group's change touches the stations it held before and those it holds after."""
    return Affects.of(stations=[s for side in sides if side for s in side["station_ids"]])


def get_station(*, session: Session, station_id: int) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(f"no station #{station_id}")
    return station


def _check_station_fields(
    session: Session, code: str | None, area_id: int | None, except_id: int | None = None
) -> None:
    if area_id is not None and session.get(Area, area_id) is None:
        raise Invalid(f"area #{area_id} does not exist", field="area_id")
    if code is not None:
        other = session.exec(select(Station).where(Station.code == code)).first()
        if other is not None and other.id != except_id:
            raise Conflict(f"station code {code!r} is already used by station #{other.id}")


def _station_json(station: Station) -> dict[str, Any]:
    return StationPublic.model_validate(station).model_dump(mode="json")


def create_station(
    *, session: Session, station_in: StationCreate, actor: Actor, now: datetime
) -> Station:
    _check_station_fields(session, station_in.code, station_in.area_id)
    require_whole_location(station_in.latitude, station_in.longitude)
    station = Station(**station_in.model_dump(), created_at=now, id=_fresh_id(session))
    session.add(station)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="station.create",
        subject=_station_subject(station),
        now=now,
        after=_station_json(station),
        affects=Affects.of(stations=[station.id]),
    )
    return station


# History kept by station id after the station is deleted (no foreign key on purpose).
_HISTORY = ("asrun", "station_plan", "station_presence", "station_day_summary")


def _fresh_id(session: Session) -> int | None:
    """SQLite gives a deleted highest id to the next row (the table has no AUTOINCREMENT):
    a new station would inherit a deleted one's as-run log, plans and health, and a
    supervisor of its area would read them. There, the id is one past every id the station
    table or that history has held. PostgreSQL's sequence never gives an id twice."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    tables = ("station", *_HISTORY)
    column = {"station": "id"}
    highest = [
        session.execute(text(f"SELECT max({column.get(t, 'station_id')}) FROM {t}")).scalar()
        for t in tables
    ]
    return max((h for h in highest if h is not None), default=0) + 1


def update_station(
    *, session: Session, station: Station, station_in: StationUpdate, actor: Actor, now: datetime
) -> Station:
    changes = station_in.model_dump(exclude_unset=True)
    _check_station_fields(session, changes.get("code"), changes.get("area_id"), station.id)
    require_whole_location(station_in.latitude, station_in.longitude, given=changes)
    before = _station_json(station)
    moved = "area_id" in changes and changes["area_id"] != station.area_id
    for key, value in changes.items():
        setattr(station, key, value)
    session.add(station)
    session.flush()
    if moved:
        _leave_groups_out_of_reach(session, station, actor, now)
    record(
        session=session,
        actor=actor,
        action="station.update",
        subject=_station_subject(station),
        now=now,
        before=before,
        after=_station_json(station),
        affects=Affects.of(stations=[station.id]),
    )
    return station


def _leave_groups_out_of_reach(
    session: Session, station: Station, actor: Actor, now: datetime
) -> None:
    """A station moved out of a group's area leaves the group, each removal audited: the
    group's owners can no longer reach it, and the keeper rebuilds what it lost."""
    area_path = session.exec(select(Area.path).where(Area.id == station.area_id)).one()
    groups = session.exec(
        select(StationGroup, Area.path)
        .join(StationGroupMember, col(StationGroupMember.group_id) == StationGroup.id)
        .join(Area, col(Area.id) == StationGroup.area_id)
        .where(StationGroupMember.station_id == station.id)
    ).all()
    for group, group_path in groups:
        if area_path.startswith(group_path):
            continue
        before = group_public(session, group).model_dump(mode="json")
        session.execute(
            delete(StationGroupMember).where(
                col(StationGroupMember.group_id) == group.id,
                col(StationGroupMember.station_id) == station.id,
            )
        )
        session.flush()
        after = group_public(session, group).model_dump(mode="json")
        record(
            session=session,
            actor=actor,
            action="group.station_moved_out",
            subject=_group_subject(group),
            now=now,
            before=before,
            after=after,
            affects=Affects.of(stations=[station.id]),
        )


def delete_station(*, session: Session, station: Station, actor: Actor, now: datetime) -> None:
    before = _station_json(station)
    record(
        session=session,
        actor=actor,
        action="station.delete",
        subject=_station_subject(station),
        now=now,
        before=before,
        affects=Affects.of(stations=[station.id]),
    )
    session.delete(station)
    session.flush()


def list_stations(
    *, session: Session, prefixes: Sequence[str], page: Page, area_id: int | None = None
) -> tuple[list[Station], int]:
    query = within_areas(select(Station), area_id=col(Station.area_id), prefixes=prefixes)
    if area_id is not None:
        query = query.where(Station.area_id == area_id)
    return paginate(session, query, page, col(Station.id))


def stations_by_id(*, session: Session, station_ids: Sequence[int]) -> list[Station]:
    """The stations named, all of them, or a 422 naming the first missing one."""
    found = {
        s.id: s
        for s in session.exec(select(Station).where(col(Station.id).in_(list(station_ids)))).all()
    }
    missing = [i for i in station_ids if i not in found]
    if missing:
        raise Invalid(f"station #{missing[0]} does not exist", field="station_ids")
    return [found[i] for i in dict.fromkeys(station_ids)]


def _require_inside_group_area(session: Session, area_id: int, station_ids: Sequence[int]) -> None:
    """A group reaches only stations in its own area's subtree (stations/reach.py): a
    member outside it is refused, not kept and silently never reached."""
    group_path = session.exec(select(Area.path).where(Area.id == area_id)).one()
    stations = stations_by_id(session=session, station_ids=station_ids)
    # One read of the members' areas, not one a station (a group may hold thousands).
    area_ids = sorted({s.area_id for s in stations})
    paths: dict[int, str] = {}
    for batch in chunks(area_ids):
        rows = session.exec(select(Area.id, Area.path).where(col(Area.id).in_(batch))).all()
        paths.update((i, path) for i, path in rows if i is not None)
    for station in stations:
        if not paths[station.area_id].startswith(group_path):
            raise Invalid(
                f"station #{station.id} lies outside the group's area #{area_id}: a group "
                "holds only stations of its own area and the areas below it",
                field="station_ids",
            )


def get_group(*, session: Session, group_id: int) -> StationGroup:
    group = session.get(StationGroup, group_id)
    if group is None:
        raise NotFound(f"no station group #{group_id}")
    return group


def group_station_ids(session: Session, group_id: int) -> list[int]:
    query = select(StationGroupMember.station_id).where(StationGroupMember.group_id == group_id)
    return sorted(session.exec(query).all())


def group_public(session: Session, group: StationGroup) -> StationGroupPublic:
    assert group.id is not None
    return StationGroupPublic.model_validate(
        group, update={"station_ids": group_station_ids(session, group.id)}
    )


def _set_members(session: Session, group: StationGroup, station_ids: Sequence[int]) -> None:
    session.execute(delete(StationGroupMember).where(col(StationGroupMember.group_id) == group.id))
    assert group.id is not None
    for station_id in dict.fromkeys(station_ids):
        session.add(StationGroupMember(group_id=group.id, station_id=station_id))
    session.flush()


def create_group(
    *, session: Session, group_in: StationGroupCreate, actor: Actor, now: datetime
) -> StationGroup:
    if session.get(Area, group_in.area_id) is None:
        raise Invalid(f"area #{group_in.area_id} does not exist", field="area_id")
    _require_inside_group_area(session, group_in.area_id, group_in.station_ids)
    group = StationGroup(name=group_in.name, area_id=group_in.area_id, created_at=now)
    session.add(group)
    session.flush()
    _set_members(session, group, group_in.station_ids)
    after = group_public(session, group).model_dump(mode="json")
    record(
        session=session,
        actor=actor,
        action="group.create",
        subject=_group_subject(group),
        now=now,
        after=after,
        affects=_members_affected(after),
    )
    return group


def update_group(
    *,
    session: Session,
    group: StationGroup,
    group_in: StationGroupUpdate,
    actor: Actor,
    now: datetime,
) -> StationGroup:
    before = group_public(session, group).model_dump(mode="json")
    if group_in.name is not None:
        group.name = group_in.name
    if group_in.station_ids is not None:
        _require_inside_group_area(session, group.area_id, group_in.station_ids)
        _set_members(session, group, group_in.station_ids)
    session.add(group)
    session.flush()
    after = group_public(session, group).model_dump(mode="json")
    record(
        session=session,
        actor=actor,
        action="group.update",
        subject=_group_subject(group),
        now=now,
        before=before,
        after=after,
        affects=_members_affected(before, after),
    )
    return group


def delete_group(*, session: Session, group: StationGroup, actor: Actor, now: datetime) -> None:
    before = group_public(session, group).model_dump(mode="json")
    record(
        session=session,
        actor=actor,
        action="group.delete",
        subject=_group_subject(group),
        now=now,
        before=before,
        affects=_members_affected(before),
    )
    session.delete(group)
    session.flush()


def list_groups(
    *, session: Session, prefixes: Sequence[str], page: Page
) -> tuple[list[StationGroup], int]:
    query = within_areas(select(StationGroup), area_id=col(StationGroup.area_id), prefixes=prefixes)
    return paginate(session, query, page, col(StationGroup.id))


def groups_of_station(*, session: Session, station_id: int) -> list[StationGroup]:
    """The groups the station is a member of, by name."""
    query = (
        select(StationGroup)
        .join(StationGroupMember, col(StationGroupMember.group_id) == col(StationGroup.id))
        .where(StationGroupMember.station_id == station_id)
        .order_by(col(StationGroup.name))
    )
    return list(session.exec(query))
