"""Every report as a file (CSV, XLSX or PDF): the same parameters and the same function as
its API answer (reports/routes.py, reports/alert_routes.py), so the two never disagree.
A PDF is the report's print page (`PrinterDep`, reports/pdf.py), headed with the unit the
report is of, its times in that unit's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response

from alerts.crud import get_alert
from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.users import get_user
from core.config import Settings
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import PathId
from core.paging import Page
from reports.alert_routes import AlertsFrom, AlertsTo, alert_delivery_list, alert_delivery_report
from reports.exports import EXPORT_RESPONSES, ExportFormat, export
from reports.filters import DayQuery, FormatQuery, PeriodQuery, ProofDep, RangeDep
from reports.pdf import PrinterDep, PrintHeader
from reports.routes import (
    DayPath,
    Read,
    SignersQuery,
    area_rollup_report,
    preview_periodic_report,
    proof_of_play_report,
    station_day_report,
    station_logbook,
)
from reports.tables import (
    alert_list_tables,
    alert_tables,
    logbook_tables,
    periodic_tables,
    proof_tables,
    rollup_tables,
    station_day_tables,
)
from stations.crud import get_station


def _zone(area: Area, settings: Settings) -> str:
    return area.timezone or settings.default_timezone


router = APIRouter(prefix="/api/v1/reports", tags=["reports (báo cáo)"])


@router.get(
    "/stations/{station_id}/days/{day}/export",
    summary="The station-day report as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_station_day(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    station_id: PathId,
    day: DayPath,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = station_day_report(session, access, clock, settings, station_id, day)
    station = get_station(session=session, station_id=station_id)
    area = get_area(session=session, area_id=station.area_id)
    header = PrintHeader.of(area, zone=report.timezone, now=clock.now())
    name = f"cum-loa-{station_id}-{day}"
    return export(station_day_tables(report), fmt, name, pdf=lambda: printer(report, header))


@router.get(
    "/areas/{area_id}/rollup/export",
    summary="An area's roll-up as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_area_rollup(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    area_id: PathId,
    filters: RangeDep,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = area_rollup_report(session, access, clock, area_id, filters)
    area = get_area(session=session, area_id=area_id)
    header = PrintHeader.of(area, zone=_zone(area, settings), now=clock.now())
    name = f"tong-hop-{area_id}-{report.first}-{report.last}"
    return export(rollup_tables(report), fmt, name, pdf=lambda: printer(report, header))


@router.get(
    "/stations/{station_id}/logbook/export",
    summary="A station's weekly log book as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_station_logbook(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    station_id: PathId,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    book = station_logbook(session, access, clock, settings, station_id, day)
    area = get_area(
        session=session, area_id=get_station(session=session, station_id=station_id).area_id
    )
    header = PrintHeader.of(area, zone=book.timezone, now=clock.now())
    name = f"so-nhat-ky-{station_id}-{book.first}"
    return export(logbook_tables(book), fmt, name, pdf=lambda: printer(book, header))


@router.get(
    "/proof-of-play/export",
    summary="Proof of play as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_proof_of_play(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    filters: ProofDep,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    proof = proof_of_play_report(session, access, clock, settings, filters)
    tables = proof_tables(proof, ZoneInfo(settings.default_timezone))
    # The proof covers the caller's clusters: it is the caller's unit's.
    home = get_user(session=session, user_id=access.principal.user_id).area_id
    header = PrintHeader.of(
        get_area(session=session, area_id=home), zone=settings.default_timezone, now=clock.now()
    )
    name = f"bang-chung-phat-{proof.lineage_id}-{proof.first}"
    return export(tables, fmt, name, pdf=lambda: printer(proof, header))


@router.get(
    "/areas/{area_id}/periodic/export",
    summary="Preview an area's periodic report as a file; nothing is recorded",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_periodic_report(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    area_id: PathId,
    period: PeriodQuery,
    signers: SignersQuery,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = preview_periodic_report(session, access, clock, area_id, period, signers, day)
    area = get_area(session=session, area_id=area_id)
    header = PrintHeader.of(area, zone=_zone(area, settings), now=clock.now())
    name = f"bao-cao-{area_id}-{report.period}-{report.first}"
    return export(periodic_tables(report), fmt, name, pdf=lambda: printer(report, header))


# The newest alerts, as the alerts page lists them; the API's list pages through the rest.
EXPORTED_ALERTS = 100


@router.get(
    "/alerts/export",
    summary="The alerts' delivery, one line each (newest first), as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_alert_deliveries(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    since: AlertsFrom = None,
    until: AlertsTo = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    listed = alert_delivery_list(
        session, access, clock, settings, Page(offset=0, limit=EXPORTED_ALERTS), since, until
    )
    zone = settings.default_timezone
    tables = alert_list_tables(listed, ZoneInfo(zone))
    home = get_user(session=session, user_id=access.principal.user_id).area_id
    header = PrintHeader.of(get_area(session=session, area_id=home), zone=zone, now=clock.now())
    return export(tables, fmt, "ban-tin-khan-cap", pdf=lambda: printer(listed, header))


@router.get(
    "/alerts/{alert_id}/export",
    summary="One alert's delivery report as a file",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
def export_alert_delivery(
    session: SessionDep,
    access: Read,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
    alert_id: PathId,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = alert_delivery_report(session, access, clock, settings, alert_id)
    tables = alert_tables(report, ZoneInfo(settings.default_timezone))
    area = get_area(session=session, area_id=get_alert(session=session, alert_id=alert_id).area_id)
    # In the default zone, as the CSV: the alert's stations may be in more than one zone.
    header = PrintHeader.of(area, zone=settings.default_timezone, now=clock.now())
    return export(tables, fmt, f"ban-tin-khan-cap-{alert_id}", pdf=lambda: printer(report, header))
