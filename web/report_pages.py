"""The supervisors' pages (Báo cáo): the dashboard, an area's roll-up with its stations,
a station's day and week (log book), the periodic report. Thin: each calls the reports'
API functions (reports/routes.py) with the caller's `report.read` access, so a page, its
JSON and its downloads are the same answer with the same refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Forbidden, Invalid, NotFound
from core.models import PathId
from reports.periodic import PERIODIC
from reports.periods import Period
from reports.routes import (
    PeriodicRequest,
    SignersQuery,
    area_rollup_report,
    generate_periodic_report,
    preview_periodic_report,
    station_day_report,
    station_logbook,
)
from reports.station_rows import station_totals
from stations.crud import get_station
from web import i18n
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import validation_message
from web.report_bodies import report_charts
from web.report_dashboard import AreaDashboard, dashboard
from web.report_filters import (
    PERIOD_LABELS,
    RANGE,
    known_refusal,
    range_filter,
    range_form,
    refusal_message,
    week_range,
)
from web.schedule_pages import NotADay, day_name, local_day, parse_day
from web.sessions_view import page_access, refused

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=20)]
REFUSED = (Forbidden, NotFound)


def report_access(view: PageView, session: Session) -> AccessControl:
    """The caller's `report.read` access; and the page's language on this thread, since a
    route translates (a filter's problems, a refusal) before it renders, and FastAPI may
    run it on another thread than the dependency that chose the language."""
    i18n.use(view.locale)
    return page_access(view, session, Action.report_read)


def report_context(view: PageView, report: BaseModel) -> dict[str, Any]:
    """What a page including a report's body gives it: the helpers, the report, its charts."""
    return {**report_helpers(view), "report": report, "charts": report_charts(report)}


def report_helpers(view: PageView) -> dict[str, Any]:
    return {
        "day_name": lambda day: day_name(day, view.locale),
        "period_labels": PERIOD_LABELS,
        "range_choice": RANGE,
        "links": True,
    }


@router.get("/reports")
def reports_home(session: SessionDep, settings: SettingsDep, view: PageDep) -> Response:
    try:
        access = report_access(view, session)
    except Forbidden as exc:
        return refused(view, exc)
    today = local_day(view.now, view.zone)
    areas = dashboard(
        session=session,
        access=access,
        today=today,
        now=view.now,
        offline_after=timedelta(seconds=settings.station_offline_after_s),
    )
    week = week_range(today)
    return view.render(
        "reports/index.html",
        {
            **report_helpers(view),
            "areas": areas,
            "today": today,
            "week_query": week.query(),
            "charts": _daily_charts(areas),
        },
    )


def _daily_charts(areas: list[AreaDashboard]) -> dict[int, dict[str, Markup]]:
    """Each area's seven days, aired against not aired (none for an area with no data)."""
    made = {shown.area.id: report_charts(shown.week) for shown in areas}
    return {
        area_id: {"daily": charts["daily"]}
        for area_id, charts in made.items()
        if area_id and "daily" in charts
    }


@router.get("/reports/areas/{area_id}")
def area_page(
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    area_id: PathId,
    period: Text = None,
    day: Annotated[str | None, Query(alias="date", max_length=20)] = None,
    first: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=20)] = None,
) -> Response:
    form = range_form(period, day, first, last)
    try:
        access = report_access(view, session)
        area = get_area(session=session, area_id=area_id)
        access.require_area(area_id, what=f"area #{area_id}")
    except REFUSED as exc:
        return refused(view, exc)
    context: dict[str, Any] = {**report_helpers(view), "area": area, "form": form}
    filters = range_filter(form, local_day(view.now, area.timezone))
    if filters is None:
        return view.render("reports/area.html", context, status_code=422)
    report = area_rollup_report(session, access, clock, area_id, filters)
    stations = station_totals(session=session, area=area, first=report.first, last=report.last)
    query = form.query()
    context |= {
        **report_context(view, report),
        "stations": stations,
        "query": query,
        "export": f"/reports/areas/{area_id}/download?{query}",
    }
    return view.render("reports/area.html", context)


@router.get("/reports/stations/{station_id}/days/{day}")
def station_day_page(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    station_id: PathId,
    day: Annotated[str, Path(max_length=20)],
) -> Response:
    try:
        access = report_access(view, session)
        parsed = parse_day(day)
        assert parsed is not None
        report = station_day_report(session, access, clock, settings, station_id, parsed)
    except (*REFUSED, Invalid) as exc:
        return refused_or_invalid(view, exc)
    station = get_station(session=session, station_id=station_id)
    context = {
        **report_context(view, report),
        "station": station,
        "area": get_area(session=session, area_id=station.area_id),
        "export": f"/reports/stations/{station_id}/days/{parsed}/download?",
        "previous": parsed - timedelta(days=1),
        "next": parsed + timedelta(days=1),
    }
    return view.render("reports/station_day.html", context)


@router.get("/reports/stations/{station_id}/logbook")
def logbook_page(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    station_id: PathId,
    day: Annotated[str | None, Query(alias="date", max_length=20)] = None,
) -> Response:
    try:
        access = report_access(view, session)
        report = station_logbook(session, access, clock, settings, station_id, parse_day(day))
    except (*REFUSED, Invalid) as exc:
        return refused_or_invalid(view, exc)
    station = get_station(session=session, station_id=station_id)
    context = {
        **report_context(view, report),
        "station": station,
        "export": f"/reports/stations/{station_id}/logbook/download?date={report.first}",
        "previous": report.first - timedelta(days=7),
        "next": report.first + timedelta(days=7),
    }
    return view.render("reports/logbook.html", context)


def refused_or_invalid(view: PageView, exc: Exception) -> Response:
    """A refusal as a page in the user's language: what was wrong, and the API's status."""
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        message = known_refusal(str(error.get("msg", ""))) or _(
            "The value of “%(field)s” cannot be used: %(problem)s"
        ) % {"field": name, "problem": validation_message(error, name)}
    elif isinstance(exc, NotADay):
        message = _("Enter a date as DD/MM/YYYY.")
    elif isinstance(exc, Invalid):
        message = refusal_message(str(exc))
    else:
        return refused(view, exc)
    return view.render("refused.html", {"message": message}, status_code=422)


PERIODIC_CHOICES = [p.value for p in PERIODIC]


def _periodic_period(text: str) -> Period:
    """The period a periodic report is for, as the form sent it (the API's own refusal)."""
    if text not in PERIODIC_CHOICES:
        raise Invalid("a periodic report is for a month, quarter, half or year")
    return Period(text)


@router.get("/reports/areas/{area_id}/periodic")
def periodic_page(
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    area_id: PathId,
    signers: SignersQuery,
    period: Text = None,
    day: Annotated[str | None, Query(alias="date", max_length=20)] = None,
    generated: bool = False,
) -> Response:
    """The report as it would be generated now, with the names typed under its signature
    blocks; generating it (recorded, audited) is the form's POST."""
    chosen = period or Period.month.value
    try:
        access = report_access(view, session)
        report = preview_periodic_report(
            session, access, clock, area_id, _periodic_period(chosen), signers, parse_day(day)
        )
    except (*REFUSED, Invalid) as exc:
        return refused_or_invalid(view, exc)
    names = {k: v for k, v in signers.model_dump().items() if v}
    query = urlencode({"period": chosen, "date": str(report.first), **names})
    context = {
        **report_context(view, report),
        "area": get_area(session=session, area_id=area_id),
        "choices": PERIODIC_CHOICES,
        "chosen": chosen,
        "generated": generated,
        "export": f"/reports/areas/{area_id}/periodic/download?{query}",
        "query": query,
    }
    return view.render("reports/periodic.html", context)


@router.post("/reports/areas/{area_id}/periodic")
def generate_periodic_page(
    session: SessionDep,
    clock: ClockDep,
    view: CsrfPageDep,
    area_id: PathId,
    period: Annotated[str, Form(max_length=20)],
    day: Annotated[str, Form(alias="date", max_length=20)] = "",
    prepared_by: Annotated[str, Form(max_length=200)] = "",
    checked_by: Annotated[str, Form(max_length=200)] = "",
    head_of_unit: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Generates (records and audits) the report, then shows it with its downloads."""
    try:
        access = report_access(view, session)
        _periodic_period(period)
        parse_day(day)  # a wrong date is named as such, before the model sees it
        request = PeriodicRequest.model_validate(
            {
                "period": period,
                "day": day or None,
                "prepared_by": prepared_by.strip() or None,
                "checked_by": checked_by.strip() or None,
                "head_of_unit": head_of_unit.strip() or None,
            }
        )
        report = generate_periodic_report(session, access, clock, area_id, request)
    except (*REFUSED, Invalid, ValidationError) as exc:
        return refused_or_invalid(view, exc)
    signed = request.model_dump(include={"prepared_by", "checked_by", "head_of_unit"})
    names = {k: v for k, v in signed.items() if v}
    query = urlencode({"period": period, "date": str(report.first), "generated": 1, **names})
    target = f"/reports/areas/{area_id}/periodic?{query}"
    return RedirectResponse(target, status_code=303)
