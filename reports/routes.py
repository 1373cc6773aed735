"""Reports for supervisors (giám sát): planned against aired, in the caller's areas."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field as PydanticField
from sqlmodel import Session

from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.clock import Clock
from core.config import Settings
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Invalid
from core.models import MAX_ID, InputModel, IsoDate, PathId
from playlists.content.crud import get_item
from reports.exports import EXPORT_RESPONSES, ExportFormat, export
from reports.logbook import station_week
from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    PeriodicReportPublic,
    ProofOfPlayPublic,
    StationDayPublic,
)
from reports.periodic import PERIODIC, periodic_report, record_generation
from reports.periods import MAX_DAYS, Period, period_bounds
from reports.proof import proof_of_play
from reports.rollup import area_rollup
from reports.station_day import station_day
from reports.tables import (
    logbook_tables,
    periodic_tables,
    proof_tables,
    rollup_tables,
    station_day_tables,
)
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
        **_thresholds(settings),
    )


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
    lineage_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    content_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="or any version")] = None,
    first: Annotated[IsoDate | None, Query(alias="from", description="first day; today")] = None,
    last: Annotated[IsoDate | None, Query(alias="to", description="last day (included)")] = None,
) -> ProofOfPlayPublic:
    if (lineage_id is None) == (content_id is None):
        raise Invalid("give lineage_id or content_id, one of them", field="lineage_id")
    if lineage_id is None:
        assert content_id is not None
        # Not the content's area but the stations' decides: a commune's supervisor proves
        # a province's bulletin on the commune's clusters (proof_of_play keeps to them).
        lineage_id = get_item(session=session, item_id=content_id).lineage_id
    today = clock.now().astimezone(ZoneInfo(settings.default_timezone)).date()
    first, last = first or last or today, last or first or today
    if last < first:
        raise Invalid(f"to ({last}) is before from ({first})", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"a range holds at most {MAX_DAYS} days", field="to")
    return proof_of_play(
        session=session,
        lineage_id=lineage_id,
        prefixes=access.scope_prefixes(),
        first=first,
        last=last,
        now=clock.now(),
        offline_after=timedelta(seconds=settings.station_offline_after_s),
    )


PeriodQuery = Annotated[Period, Query(description="month, quarter, half (six months) or year")]
DayQuery = Annotated[
    IsoDate | None, Query(alias="date", description="a day of the period; today if left out")
]


class Signers(InputModel):
    """Names printed under the signature blocks; any left out stays blank to sign by hand."""

    prepared_by: str | None = PydanticField(default=None, max_length=200)
    checked_by: str | None = PydanticField(default=None, max_length=200)
    head_of_unit: str | None = PydanticField(default=None, max_length=200)


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
    day: DayQuery = None,
) -> PeriodicReportPublic:
    return _periodic(session, access, clock, area_id, period, day, Signers())[1]


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


# Exports: the same parameters and the same function as each report, so the file never
# disagrees with what the page or the API shows.
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv or xlsx")]


@router.get(
    "/stations/{station_id}/days/{day}/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="The station-day report as CSV or XLSX",
)
def export_station_day(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    station_id: PathId,
    day: DayPath,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = station_day_report(session, access, clock, settings, station_id, day)
    return export(station_day_tables(report), fmt, f"cum-loa-{station_id}-{day}")


@router.get(
    "/areas/{area_id}/rollup/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="An area's roll-up as CSV or XLSX",
)
def export_area_rollup(
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
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = area_rollup_report(session, access, clock, area_id, period, day, first, last)
    return export(rollup_tables(report), fmt, f"tong-hop-{area_id}-{report.first}-{report.last}")


@router.get(
    "/stations/{station_id}/logbook/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="A station's weekly log book as CSV or XLSX",
)
def export_station_logbook(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    station_id: PathId,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    book = station_logbook(session, access, clock, settings, station_id, day)
    return export(logbook_tables(book), fmt, f"so-nhat-ky-{station_id}-{book.first}")


@router.get(
    "/proof-of-play/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="Proof of play as CSV or XLSX",
)
def export_proof_of_play(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    lineage_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    content_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="or any version")] = None,
    first: Annotated[IsoDate | None, Query(alias="from", description="first day; today")] = None,
    last: Annotated[IsoDate | None, Query(alias="to", description="last day (included)")] = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    proof = proof_of_play_report(
        session, access, clock, settings, lineage_id, content_id, first, last
    )
    tables = proof_tables(proof, ZoneInfo(settings.default_timezone))
    return export(tables, fmt, f"bang-chung-phat-{proof.lineage_id}-{proof.first}")


@router.get(
    "/areas/{area_id}/periodic/export",
    response_class=Response,
    responses=EXPORT_RESPONSES,
    summary="Preview an area's periodic report as CSV or XLSX; nothing is recorded",
)
def export_periodic_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    area_id: PathId,
    period: PeriodQuery,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = preview_periodic_report(session, access, clock, area_id, period, day)
    return export(periodic_tables(report), fmt, f"bao-cao-{area_id}-{report.period}-{report.first}")
