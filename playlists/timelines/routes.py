"""Playlist previews for operators: a station's or an area's day, local time and UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from sqlmodel import col, select

from core.areas.crud import get_area
from core.areas.models import Area
from core.areas.scope import within_areas
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.errors import Invalid, NotFound
from core.models import IsoDate, PathId
from playlists.timelines.models import (
    AreaPlaylistsPublic,
    PlanVersionPublic,
    StationBuild,
    StationPlaylistPublic,
)
from playlists.timelines.preview import playlist_public, timelines_for
from playlists.timelines.record import plan_rows
from stations.crud import get_station
from stations.models import Station

router = APIRouter(prefix="/api/v1", tags=["playlists (lịch phát)"])

Read = Annotated[AccessControl, Depends(Permission(Action.schedule_read))]
# A preview reaches a year either way: far enough for planning, and it bounds the work.
REACH = timedelta(days=366)
DayQuery = Annotated[
    IsoDate | None,
    Query(alias="date", description="Local day, YYYY-MM-DD; today (local) when left out"),
]


class NoPlanOfRecord(NotFound):
    """A past day the station has no plan of record of: the past is never recomputed."""


def _today(now: datetime, area: Area) -> date:
    return now.astimezone(ZoneInfo(area.timezone)).date()


def _day(requested: date | None, now: datetime, area: Area) -> date:
    """The day asked for, or the area's local today; at most a year away."""
    today = _today(now, area)
    if requested is None:
        return today
    if abs(requested - today) > REACH:
        raise Invalid(f"date {requested} is more than a year from today ({today})", field="date")
    return requested


@router.get(
    "/stations/{station_id}/playlist",
    response_model=StationPlaylistPublic,
    summary="A station's playlist for one day, as built for its agent",
)
def station_playlist(
    session: SessionDep, access: Read, clock: ClockDep, station_id: PathId, day: DayQuery = None
) -> StationPlaylistPublic:
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    area = get_area(session=session, area_id=station.area_id)
    wanted, today = _day(day, clock.now(), area), _today(clock.now(), area)
    found = timelines_for(session=session, station_ids=[station_id], day=wanted, today=today)
    if not found:
        raise NoPlanOfRecord(
            f"station #{station_id} has no plan of record for {wanted}: it was not built "
            "for that day, or the day is older than the reports keep"
        )
    (timeline,) = found
    plan = plan_rows(session=session, station_id=station_id, day=wanted)
    build = session.get(StationBuild, station_id) if timeline.stored else None
    version, built_at = (build.version, build.built_at) if build is not None else (None, None)
    if wanted < today and plan:  # the past: the version that was in force at its end
        version, built_at = plan[-1].version, plan[-1].in_force_from
    return StationPlaylistPublic(
        **playlist_public(timeline).model_dump(),
        station_id=station_id,
        version=version,
        built_at=built_at,
        plan=[
            PlanVersionPublic(
                version=r.version,
                digest=r.digest,
                in_force_from=r.in_force_from,
                in_force_until=r.in_force_until,
            )
            for r in plan
        ],
    )


@router.get(
    "/areas/{area_id}/playlist",
    response_model=AreaPlaylistsPublic,
    summary="Every distinct playlist of the stations in an area subtree for one day",
)
def area_playlist(
    session: SessionDep, access: Read, clock: ClockDep, area_id: PathId, day: DayQuery = None
) -> AreaPlaylistsPublic:
    area = get_area(session=session, area_id=area_id)
    access.require_area(area_id, what=f"area #{area_id}")
    wanted, today = _day(day, clock.now(), area), _today(clock.now(), area)
    query = within_areas(
        select(col(Station.id)), area_id=col(Station.area_id), prefixes=[area.path]
    )
    station_ids = [s for s in session.exec(query).all() if s]
    timelines = timelines_for(session=session, station_ids=station_ids, day=wanted, today=today)
    covered = {s for t in timelines for s in t.station_ids}
    return AreaPlaylistsPublic(
        area_id=area_id,
        date=wanted,
        data=[playlist_public(t) for t in timelines],
        count=len(timelines),
        stations_without_build=sorted(
            {s for t in timelines if not t.stored for s in t.station_ids}
            | (set(station_ids) - covered)
        ),
    )
