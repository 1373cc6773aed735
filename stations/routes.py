"""Stations (/api/v1/stations) and station groups (/api/v1/station-groups)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import MAX_ID, PathId
from core.paging import PageDep
from stations import crud
from stations.fleet.directory import DirectoryDep
from stations.fleet.health import stations_public
from stations.fleet.push import PushDep
from stations.models import (
    Station,
    StationCreate,
    StationGroupCreate,
    StationGroupPublic,
    StationGroupsPublic,
    StationGroupUpdate,
    StationPublic,
    StationsPublic,
    StationUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["stations (cụm loa)"])

Read = Annotated[AccessControl, Depends(Permission(Action.station_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.station_write))]
GroupWrite = Annotated[AccessControl, Depends(Permission(Action.group_write))]


def _public(
    session: SessionDep, clock: ClockDep, settings: SettingsDep, stations: list[Station]
) -> list[StationPublic]:
    return stations_public(
        session=session,
        stations=stations,
        now=clock.now(),
        offline_after=timedelta(seconds=settings.station_offline_after_s),
    )


@router.get(
    "/stations",
    response_model=StationsPublic,
    summary="List stations in your scope, with their agents' status (trạng thái)",
)
def list_stations(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    page: PageDep,
    area_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this area")] = None,
) -> StationsPublic:
    rows, total = crud.list_stations(
        session=session, prefixes=access.scope_prefixes(), page=page, area_id=area_id
    )
    return StationsPublic(data=_public(session, clock, settings, rows), count=total)


@router.post(
    "/stations",
    response_model=StationPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Add a station (one per loudspeaker cluster)",
)
def create_station(
    session: SessionDep, access: Write, clock: ClockDep, station_in: StationCreate
) -> StationPublic:
    access.require_area(station_in.area_id, what="a new station", field="area_id")
    station = crud.create_station(
        session=session, station_in=station_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return StationPublic.model_validate(station)


@router.get(
    "/stations/{station_id}",
    response_model=StationPublic,
    summary="Read one station: status, last seen, now playing, manifest version, clock offset",
)
def read_station(
    session: SessionDep, access: Read, clock: ClockDep, settings: SettingsDep, station_id: PathId
) -> StationPublic:
    station = crud.get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    return _public(session, clock, settings, [station])[0]


@router.patch(
    "/stations/{station_id}",
    response_model=StationPublic,
    summary="Rename a station, move it to another area, or set where it stands",
)
def update_station(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    directory: DirectoryDep,
    station_id: PathId,
    station_in: StationUpdate,
    push: PushDep,
) -> StationPublic:
    station = crud.get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    moving = station_in.area_id is not None and station_in.area_id != station.area_id
    if station_in.area_id is not None:
        access.require_area(
            station_in.area_id, what=f"moving station #{station_id}", field="area_id"
        )
    station = crud.update_station(
        session=session, station=station, station_in=station_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    directory.forget_stations([station_id])  # its area or its Test alerts setting
    if moving:
        push.moved(station_id)
    return StationPublic.model_validate(station)


@router.delete(
    "/stations/{station_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a station"
)
def delete_station(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    directory: DirectoryDep,
    station_id: PathId,
    push: PushDep,
) -> None:
    station = crud.get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    crud.delete_station(session=session, station=station, actor=access.actor, now=clock.now())
    session.commit()
    directory.forget_stations([station_id])
    push.revoke(station_id)  # its token no longer opens anything: say so, and close


@router.get(
    "/station-groups",
    response_model=StationGroupsPublic,
    summary="List station groups of areas in your scope",
)
def list_groups(session: SessionDep, access: Read, page: PageDep) -> StationGroupsPublic:
    rows, total = crud.list_groups(session=session, prefixes=access.scope_prefixes(), page=page)
    return StationGroupsPublic(data=[crud.group_public(session, g) for g in rows], count=total)


def _require_members(access: AccessControl, session: SessionDep, station_ids: list[int]) -> None:
    for station in crud.stations_by_id(session=session, station_ids=station_ids):
        access.require_area(station.area_id, what=f"station #{station.id}")


@router.post(
    "/station-groups",
    response_model=StationGroupPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Name a set of stations in your scope",
)
def create_group(
    session: SessionDep, access: GroupWrite, clock: ClockDep, group_in: StationGroupCreate
) -> StationGroupPublic:
    access.require_area(group_in.area_id, what="a new station group", field="area_id")
    _require_members(access, session, group_in.station_ids)
    group = crud.create_group(
        session=session, group_in=group_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.group_public(session, group)


@router.get(
    "/station-groups/{group_id}",
    response_model=StationGroupPublic,
    summary="Read one station group",
)
def read_group(session: SessionDep, access: Read, group_id: PathId) -> StationGroupPublic:
    group = crud.get_group(session=session, group_id=group_id)
    access.require_area(group.area_id, what=f"station group #{group_id}")
    return crud.group_public(session, group)


@router.patch(
    "/station-groups/{group_id}",
    response_model=StationGroupPublic,
    summary="Rename a group or replace its stations",
)
def update_group(
    session: SessionDep,
    access: GroupWrite,
    clock: ClockDep,
    group_id: PathId,
    group_in: StationGroupUpdate,
) -> StationGroupPublic:
    group = crud.get_group(session=session, group_id=group_id)
    access.require_area(group.area_id, what=f"station group #{group_id}")
    if group_in.station_ids is not None:
        _require_members(access, session, group_in.station_ids)
    group = crud.update_group(
        session=session, group=group, group_in=group_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.group_public(session, group)


@router.delete(
    "/station-groups/{group_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a station group",
)
def delete_group(
    session: SessionDep, access: GroupWrite, clock: ClockDep, group_id: PathId
) -> None:
    group = crud.get_group(session=session, group_id=group_id)
    access.require_area(group.area_id, what=f"station group #{group_id}")
    crud.delete_group(session=session, group=group, actor=access.actor, now=clock.now())
    session.commit()
