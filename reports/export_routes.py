"""Every report as a file (CSV or XLSX): the same parameters and the same function as its
API answer (reports/routes.py, reports/alert_routes.py), so the two never disagree."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response

from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import PathId
from reports.alert_routes import alert_delivery_report
from reports.exports import EXPORT_RESPONSES, ExportFormat, export
from reports.filters import DayQuery, FormatQuery, PeriodQuery, ProofDep, RangeDep
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
    alert_tables,
    logbook_tables,
    periodic_tables,
    proof_tables,
    rollup_tables,
    station_day_tables,
)

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
    station_id: PathId,
    day: DayPath,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = station_day_report(session, access, clock, settings, station_id, day)
    return export(station_day_tables(report), fmt, f"cum-loa-{station_id}-{day}")


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
    area_id: PathId,
    filters: RangeDep,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = area_rollup_report(session, access, clock, area_id, filters)
    return export(rollup_tables(report), fmt, f"tong-hop-{area_id}-{report.first}-{report.last}")


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
    station_id: PathId,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    book = station_logbook(session, access, clock, settings, station_id, day)
    return export(logbook_tables(book), fmt, f"so-nhat-ky-{station_id}-{book.first}")


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
    filters: ProofDep,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    proof = proof_of_play_report(session, access, clock, settings, filters)
    tables = proof_tables(proof, ZoneInfo(settings.default_timezone))
    return export(tables, fmt, f"bang-chung-phat-{proof.lineage_id}-{proof.first}")


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
    area_id: PathId,
    period: PeriodQuery,
    signers: SignersQuery,
    day: DayQuery = None,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = preview_periodic_report(session, access, clock, area_id, period, signers, day)
    return export(periodic_tables(report), fmt, f"bao-cao-{area_id}-{report.period}-{report.first}")


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
    alert_id: PathId,
    fmt: FormatQuery = ExportFormat.csv,
) -> Response:
    report = alert_delivery_report(session, access, clock, settings, alert_id)
    tables = alert_tables(report, ZoneInfo(settings.default_timezone))
    return export(tables, fmt, f"ban-tin-khan-cap-{alert_id}")
