"""The report pages' downloads: the API's own exports (reports/export_routes.py), called
with the page's sign-in (its cookie) and the same query, so the file is what the page
shows. A refusal is a page in the user's language, as on the report itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlmodel import Session

from core.clock import Clock
from core.config import Settings
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Forbidden, Invalid, NotFound
from core.models import PathId
from reports import export_routes
from reports.filters import DayQuery, FormatQuery, PeriodQuery, ProofDep, RangeDep
from reports.pdf import PrinterDep, ReportPrinter
from reports.routes import DayPath, SignersQuery
from web.context import PageDep, PageView
from web.report_pages import refused_or_invalid, report_access

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class _Shared:
    """What every export takes before its own parameters."""

    view: PageView
    session: Session
    clock: Clock
    settings: Settings
    printer: ReportPrinter

    def file(self, export: Callable[..., Response], *rest: object) -> Response:
        try:
            access = report_access(self.view, self.session)
            return export(self.session, access, self.clock, self.settings, self.printer, *rest)
        except (Forbidden, NotFound, Invalid) as exc:
            return refused_or_invalid(self.view, exc)


def _shared(
    view: PageDep,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    printer: PrinterDep,
) -> _Shared:
    return _Shared(view, session, clock, settings, printer)


SharedDep = Annotated[_Shared, Depends(_shared)]


@router.get("/reports/areas/{area_id}/download")
def area_download(
    shared: SharedDep,
    area_id: PathId,
    filters: RangeDep,
    fmt: FormatQuery,
) -> Response:
    return shared.file(export_routes.export_area_rollup, area_id, filters, fmt)


@router.get("/reports/areas/{area_id}/periodic/download")
def periodic_download(
    shared: SharedDep,
    area_id: PathId,
    period: PeriodQuery,
    signers: SignersQuery,
    fmt: FormatQuery,
    day: DayQuery = None,
) -> Response:
    return shared.file(export_routes.export_periodic_report, area_id, period, signers, day, fmt)


@router.get("/reports/stations/{station_id}/days/{day}/download")
def station_day_download(
    shared: SharedDep,
    station_id: PathId,
    day: DayPath,
    fmt: FormatQuery,
) -> Response:
    return shared.file(export_routes.export_station_day, station_id, day, fmt)


@router.get("/reports/stations/{station_id}/logbook/download")
def logbook_download(
    shared: SharedDep,
    station_id: PathId,
    fmt: FormatQuery,
    day: DayQuery = None,
) -> Response:
    return shared.file(export_routes.export_station_logbook, station_id, day, fmt)


@router.get("/reports/proof/download")
def proof_download(
    shared: SharedDep,
    filters: ProofDep,
    fmt: FormatQuery,
) -> Response:
    return shared.file(export_routes.export_proof_of_play, filters, fmt)


@router.get("/reports/alerts/download")
def alerts_download(shared: SharedDep, fmt: FormatQuery) -> Response:
    return shared.file(export_routes.export_alert_deliveries, None, None, fmt)


@router.get("/reports/alerts/{alert_id}/download")
def alert_download(
    shared: SharedDep,
    alert_id: PathId,
    fmt: FormatQuery,
) -> Response:
    return shared.file(export_routes.export_alert_delivery, alert_id, fmt)
