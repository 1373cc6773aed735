"""Reports for supervisors (giám sát): planned against aired, in the caller's areas."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from core.areas.crud import get_area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import IsoDate, PathId
from reports.models import StationDayPublic
from reports.station_day import station_day
from stations.crud import get_station

router = APIRouter(prefix="/api/v1/reports", tags=["reports (báo cáo)"])

Read = Annotated[AccessControl, Depends(Permission(Action.report_read))]
DayPath = Annotated[IsoDate, Path(description="Local day, YYYY-MM-DD")]


@router.get(
    "/stations/{station_id}/days/{day}",
    response_model=StationDayPublic,
    summary="A station's day: each planned item against what aired, with the reason",
)
def station_day_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    station_id: PathId,
    day: DayPath,
) -> StationDayPublic:
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    area = get_area(session=session, area_id=station.area_id)
    return station_day(
        session=session,
        station_id=station_id,
        day=day,
        timezone=area.timezone,
        now=clock.now(),
        offline_after=timedelta(seconds=settings.station_offline_after_s),
        late_after=timedelta(seconds=settings.report_late_after_s),
    )
