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
    StationBuild,
    StationPlaylistPublic,
)
from playlists.timelines.preview import playlist_public, timelines_for
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


def _day(requested: date | None, now: datetime, area: Area) -> date:
    """The day asked for, or the area's local today; at most a year away."""
    today = now.astimezone(ZoneInfo(area.timezone)).date()
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
    wanted = _day(day, clock.now(), get_area(session=session, area_id=station.area_id))
    found = timelines_for(session=session, station_ids=[station_id], day=wanted)
    if not found:  # deleted while this request ran
        raise NotFound(f"no station #{station_id}")
    (timeline,) = found
    build = session.get(StationBuild, station_id) if timeline.stored else None
    return StationPlaylistPublic(
        **playlist_public(timeline).model_dump(),
        station_id=station_id,
        version=build.version if build is not None else None,
        built_at=build.built_at if build is not None else None,
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
    wanted = _day(day, clock.now(), area)
    query = within_areas(
        select(col(Station.id)), area_id=col(Station.area_id), prefixes=[area.path]
    )
    station_ids = [s for s in session.exec(query).all() if s]
    timelines = timelines_for(session=session, station_ids=station_ids, day=wanted)
    return AreaPlaylistsPublic(
        area_id=area_id,
        date=wanted,
        data=[playlist_public(t) for t in timelines],
        count=len(timelines),
        stations_without_build=sorted(s for t in timelines if not t.stored for s in t.station_ids),
    )
