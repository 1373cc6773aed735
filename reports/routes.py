"""Reports for supervisors (giám sát): planned against aired, in the caller's areas."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query

from core.areas.crud import get_area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Invalid
from core.models import IsoDate, PathId
from reports.models import AreaRollupPublic, StationDayPublic
from reports.periods import MAX_DAYS, Period, period_bounds
from reports.rollup import area_rollup
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


@router.get(
    "/areas/{area_id}/rollup",
    response_model=AreaRollupPublic,
    summary="An area's totals over a period, in all and for each sub-area",
)
def area_rollup_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    area_id: PathId,
    period: Annotated[Period | None, Query(description="day, week, month, ...")] = None,
    day: Annotated[
        IsoDate | None, Query(alias="date", description="a day of the period; today if left out")
    ] = None,
    first: Annotated[IsoDate | None, Query(alias="from", description="or a range: from")] = None,
    last: Annotated[IsoDate | None, Query(alias="to", description="to (included)")] = None,
) -> AreaRollupPublic:
    area = get_area(session=session, area_id=area_id)
    access.require_area(area_id, what=f"area #{area_id}")
    if period is not None and (first is not None or last is not None):
        raise Invalid("give a period (with a date) or a range (from, to), not both", field="period")
    if period is None and first is not None and last is not None:
        if last < first:
            raise Invalid(f"to ({last}) is before from ({first})", field="to")
        if (last - first).days + 1 > MAX_DAYS:
            raise Invalid(f"a range holds at most {MAX_DAYS} days", field="to")
        name = "range"
    elif period is None and (first is not None or last is not None):
        raise Invalid("a range needs both from and to", field="from" if first is None else "to")
    else:
        chosen = period or Period.month
        today = clock.now().astimezone(ZoneInfo(area.timezone)).date()
        first, last = period_bounds(chosen, day or today)
        name = chosen.value
    return area_rollup(session=session, area=area, period=name, first=first, last=last)
