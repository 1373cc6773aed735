"""The report pages' downloads: the API's own exports (reports/export_routes.py), called
with the page's sign-in (its cookie) and the same query, so the file is what the page
shows. A refusal is a page in the user's language, as on the report itself."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response
from sqlmodel import Session

from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Forbidden, Invalid, NotFound
from core.models import PathId
from reports import export_routes
from reports.filters import DayQuery, FormatQuery, PeriodQuery, ProofDep, RangeDep
from reports.routes import DayPath, SignersQuery
from web.context import PageDep, PageView
from web.report_pages import refused_or_invalid
from web.sessions_view import page_access

router = APIRouter(include_in_schema=False)


def _file(view: PageView, session: Session, make: Callable[[AccessControl], Response]) -> Response:
    try:
        return make(page_access(view, session, Action.report_read))
    except (Forbidden, NotFound, Invalid) as exc:
        return refused_or_invalid(view, exc)


@router.get("/reports/areas/{area_id}/download")
def area_download(
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    area_id: PathId,
    filters: RangeDep,
    fmt: FormatQuery,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_area_rollup(
            session, access, clock, area_id, filters, fmt
        ),
    )


@router.get("/reports/areas/{area_id}/periodic/download")
def periodic_download(
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    area_id: PathId,
    period: PeriodQuery,
    signers: SignersQuery,
    fmt: FormatQuery,
    day: DayQuery = None,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_periodic_report(
            session, access, clock, area_id, period, signers, day, fmt
        ),
    )


@router.get("/reports/stations/{station_id}/days/{day}/download")
def station_day_download(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    station_id: PathId,
    day: DayPath,
    fmt: FormatQuery,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_station_day(
            session, access, clock, settings, station_id, day, fmt
        ),
    )


@router.get("/reports/stations/{station_id}/logbook/download")
def logbook_download(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    station_id: PathId,
    fmt: FormatQuery,
    day: DayQuery = None,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_station_logbook(
            session, access, clock, settings, station_id, day, fmt
        ),
    )


@router.get("/reports/proof/download")
def proof_download(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    filters: ProofDep,
    fmt: FormatQuery,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_proof_of_play(
            session, access, clock, settings, filters, fmt
        ),
    )


@router.get("/reports/alerts/{alert_id}/download")
def alert_download(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    alert_id: PathId,
    fmt: FormatQuery,
) -> Response:
    return _file(
        view,
        session,
        lambda access: export_routes.export_alert_delivery(
            session, access, clock, settings, alert_id, fmt
        ),
    )
