"""Reports for supervisors (giám sát): planned against aired, in the caller's areas."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field as PydanticField
from pydantic import ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.clock import Clock
from core.config import Settings
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Invalid
from core.models import InputModel, IsoDate, PathId
from playlists.content.crud import get_item
from reports.filters import DayQuery, PeriodQuery, ProofDep, RangeDep, check_day
from reports.logbook import station_week
from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    PeriodicReportPublic,
    ProofOfPlayPublic,
    StationDayPublic,
)
from reports.periodic import PERIODIC, periodic_report, record_generation
from reports.periods import Period
from reports.proof import proof_of_play
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
    check_day(day, "day")
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    area = get_area(session=session, area_id=station.area_id)
    report = station_day(
        session=session,
        station_id=station_id,
        day=day,
        timezone=area.timezone,
        now=clock.now(),
        **_thresholds(settings),
    )
    return report.model_copy(update={"station_name": station.name})


@router.get(
    "/stations/{station_id}/logbook",
    response_model=LogBookPublic,
    summary="A station's weekly broadcast log book (sổ nhật ký phát sóng)",
)
def station_logbook(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    station_id: PathId,
    day: Annotated[
        IsoDate | None,
        Query(alias="date", description="a day of the week (Monday to Sunday); today if left out"),
    ] = None,
) -> LogBookPublic:
    check_day(day, "date")
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    area = get_area(session=session, area_id=station.area_id)
    now = clock.now()
    anchor = day or now.astimezone(ZoneInfo(area.timezone)).date()
    return station_week(
        session=session,
        station=station,
        area=area,
        anchor=anchor,
        now=now,
        **_thresholds(settings),
    )


@router.get(
    "/proof-of-play",
    response_model=ProofOfPlayPublic,
    summary="Where and when a bulletin (every version of it) aired, of the stations planned",
)
def proof_of_play_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    filters: ProofDep,
) -> ProofOfPlayPublic:
    lineage_id = filters.lineage_id
    if lineage_id is None:
        assert filters.content_id is not None
        # Not the content's area but the stations' decides: a commune's supervisor proves
        # a province's bulletin on the commune's clusters (proof_of_play keeps to them).
        lineage_id = get_item(session=session, item_id=filters.content_id).lineage_id
    first, last = filters.days(clock.now().astimezone(ZoneInfo(settings.default_timezone)).date())
    return proof_of_play(
        session=session,
        lineage_id=lineage_id,
        prefixes=access.scope_prefixes(),
        first=first,
        last=last,
        now=clock.now(),
        offline_after=timedelta(seconds=settings.station_offline_after_s),
    )


class Signers(InputModel):
    """Names printed under the signature blocks; any left out stays blank to sign by hand."""

    prepared_by: str | None = PydanticField(default=None, max_length=200)
    checked_by: str | None = PydanticField(default=None, max_length=200)
    head_of_unit: str | None = PydanticField(default=None, max_length=200)


def signers_query(
    prepared_by: Annotated[str | None, Query(max_length=200)] = None,
    checked_by: Annotated[str | None, Query(max_length=200)] = None,
    head_of_unit: Annotated[str | None, Query(max_length=200)] = None,
) -> Signers:
    """The names to print under the signature blocks of a previewed (or exported) report."""
    try:
        return Signers(prepared_by=prepared_by, checked_by=checked_by, head_of_unit=head_of_unit)
    except ValidationError as exc:  # a query's value, refused as the body's would be: 422
        error = exc.errors()[0]
        raise Invalid(f"{error['loc'][0]}: {error['msg']}", field=str(error["loc"][0])) from exc


SignersQuery = Annotated[Signers, Depends(signers_query)]


class PeriodicRequest(Signers):
    period: Period
    day: IsoDate | None = PydanticField(default=None, description="a day of the period")


def _periodic(
    session: Session,
    access: AccessControl,
    clock: Clock,
    area_id: int,
    period: Period,
    day: date | None,
    signers: Signers,
) -> tuple[Area, PeriodicReportPublic]:
    if period not in PERIODIC:
        raise Invalid("a periodic report is for a month, quarter, half or year", field="period")
    check_day(day, "date")
    area = get_area(session=session, area_id=area_id)
    access.require_area(area_id, what=f"area #{area_id}")
    now = clock.now()
    report = periodic_report(
        session=session,
        area=area,
        period=period,
        anchor=day or now.astimezone(ZoneInfo(area.timezone)).date(),
        signers=(signers.prepared_by, signers.checked_by, signers.head_of_unit),
        now=now,
    )
    return area, report


@router.get(
    "/areas/{area_id}/periodic",
    response_model=PeriodicReportPublic,
    summary="Preview an area's periodic report (báo cáo định kỳ); nothing is recorded",
)
def preview_periodic_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    area_id: PathId,
    period: PeriodQuery,
    signers: SignersQuery,
    day: DayQuery = None,
) -> PeriodicReportPublic:
    return _periodic(session, access, clock, area_id, period, day, signers)[1]


@router.post(
    "/areas/{area_id}/periodic",
    response_model=PeriodicReportPublic,
    summary="Generate an area's periodic report: recorded, audited, and its days may then "
    "be let go by retention",
)
def generate_periodic_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    area_id: PathId,
    request: PeriodicRequest,
) -> PeriodicReportPublic:
    area, report = _periodic(session, access, clock, area_id, request.period, request.day, request)
    record_generation(
        session=session, area=area, report=report, actor=access.actor, now=clock.now()
    )
    session.commit()
    return report.model_copy(
        update={"last_generated_at": report.made_at, "last_generated_by": access.actor.name}
    )


def _thresholds(settings: Settings) -> dict[str, timedelta]:
    return {
        "offline_after": timedelta(seconds=settings.station_offline_after_s),
        "late_after": timedelta(seconds=settings.report_late_after_s),
    }


@router.get(
    "/areas/{area_id}/rollup",
    response_model=AreaRollupPublic,
    summary="An area's totals over a period, in all and for each sub-area",
)
def area_rollup_report(
    session: SessionDep, access: Read, clock: ClockDep, area_id: PathId, filters: RangeDep
) -> AreaRollupPublic:
    area = get_area(session=session, area_id=area_id)
    access.require_area(area_id, what=f"area #{area_id}")
    name, first, last = filters.bounds(clock.now().astimezone(ZoneInfo(area.timezone)).date())
    return area_rollup(session=session, area=area, period=name, first=first, last=last)
