"""A loudspeaker cluster's pages: adding one, its own page (status, today's playlist against
what aired, recent as-run records, its groups), its one-time enrolment code with the Pi's
install command, and revoking its agent after a confirmation. Thin: the API's data
functions and checks (access_for, require_area), then a template."""

from __future__ import annotations

import shlex
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.permissions import Action
from core.deps import SessionDep, SettingsDep
from core.models import MAX_ID, PathId
from core.paging import Page
from reports.station_day import station_day
from stations import crud
from stations.fleet import asrun, enrolment
from stations.fleet.directory import DirectoryDep
from stations.fleet.health import stations_public
from stations.fleet.models import EnrollmentCodePublic
from stations.fleet.push import PushDep
from stations.fleet.revocation import revoke_agent
from stations.models import Station, StationCreate, StationStatus
from web.choices import area_choices
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import REFUSALS, FormProblems, problems_of, status_of
from web.report_pages import report_context
from web.schedule_pages import local_day

router = APIRouter(include_in_schema=False)
RECENT = 10  # as-run records on the station's page
Short = Field(default="", max_length=200)


class StationFields(BaseModel):
    """The new-cluster form, as typed. `plays_test_alerts` is a checkbox."""

    name: str = Short
    code: str = Short
    area_id: str = Short
    plays_test_alerts: str = Field(default="", max_length=10)
    latitude: str = Short
    longitude: str = Short


def _may(session: Session, view: PageView, action: Action, area_id: int) -> bool:
    area = get_area(session=session, area_id=area_id)
    return view.user.principal.can(action, area.path)


def _station_in_scope(session: Session, view: PageView, station_id: int) -> Station:
    station = crud.get_station(session=session, station_id=station_id)
    view.access(session, Action.station_read).require_area(
        station.area_id, what=f"station #{station_id}"
    )
    return station


def _station_in(fields: StationFields) -> StationCreate | FormProblems:
    def number(text: str) -> str | None:
        return text.strip().replace(",", ".") or None

    try:
        return StationCreate.model_validate(
            {
                "name": fields.name.strip(),
                "code": fields.code.strip() or None,
                "area_id": fields.area_id or None,
                "plays_test_alerts": bool(fields.plays_test_alerts),
                "latitude": number(fields.latitude),
                "longitude": number(fields.longitude),
            }
        )
    except ValidationError as exc:
        return problems_of(exc)


def _new_page(
    session: Session,
    view: PageView,
    fields: StationFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    areas = area_choices(
        session=session, principal=view.user.principal, action=Action.station_write
    )
    context = {"fields": fields, "areas": areas, "problems": problems or FormProblems()}
    return view.render("stations/new.html", context, status_code=status_code)


@router.get("/stations/new")
def new_station(
    session: SessionDep,
    view: PageDep,
    area: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    view.access(session, Action.station_write)
    return _new_page(session, view, StationFields(area_id=str(area or "")))


@router.post("/stations/new")
def create_station(
    session: SessionDep, view: CsrfPageDep, fields: Annotated[StationFields, Form()]
) -> Response:
    access = view.access(session, Action.station_write)
    built = _station_in(fields)
    if isinstance(built, FormProblems):
        return _new_page(session, view, fields, built, 422)
    try:
        access.require_area(built.area_id, what="a new station", field="area_id")
        station = crud.create_station(
            session=session, station_in=built, actor=access.actor, now=view.now
        )
        session.commit()
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc)
        return _new_page(session, view, fields, problems, status_of(exc))
    return RedirectResponse(f"/stations/{station.id}?done=created", status_code=303)


def _station_page(
    session: Session,
    view: PageView,
    settings: SettingsDep,
    station: Station,
    *,
    code: EnrollmentCodePublic | None = None,
    install: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    assert station.id is not None
    offline_after = timedelta(seconds=settings.station_offline_after_s)
    public = stations_public(
        session=session, stations=[station], now=view.now, offline_after=offline_after
    )[0]
    area = get_area(session=session, area_id=station.area_id)
    today = station_day(
        session=session,
        station_id=station.id,
        day=local_day(view.now, area.timezone),
        timezone=area.timezone,
        now=view.now,
        offline_after=offline_after,
        late_after=timedelta(seconds=settings.report_late_after_s),
    )
    reader = view.access(session, Action.asrun_read)
    records, _total = asrun.list_records(
        session=session,
        prefixes=reader.scope_prefixes(),
        page=Page(offset=0, limit=RECENT),
        station_id=station.id,
    )
    context = {
        **report_context(view, today),
        "links": _may(session, view, Action.report_read, station.area_id),
        "station": public,
        "area": area,
        "records": records,
        "groups": crud.groups_of_station(session=session, station_id=station.id),
        "can_write": _may(session, view, Action.station_write, station.area_id),
        "enrolled": public.status in (StationStatus.online, StationStatus.offline),
        "code": code,
        "install": install,
        "done": done,
    }
    return view.render("stations/station.html", context, status_code=status_code)


@router.get("/stations/{station_id}")
def station_page(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    station_id: PathId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    station = _station_in_scope(session, view, station_id)
    return _station_page(session, view, settings, station, done=done)


def install_command(server_url: str, code: str) -> str:
    """The one command that installs the agent on the Pi (docs/raspberry-pi.md)."""
    return (
        "sudo deploy/pi/install.sh --server "
        f"{shlex.quote(server_url.rstrip('/'))} --enroll {shlex.quote(code)}"
    )


def _server_url(request: Request) -> str:
    # As the admin reached it: behind nginx, uvicorn's proxy headers make it the public one.
    return str(request.base_url).rstrip("/")


@router.post("/stations/{station_id}/code")
def create_code(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    view: CsrfPageDep,
    station_id: PathId,
) -> Response:
    """A fresh code, shown on this answer only (it is stored hashed): not a redirect."""
    station = _station_in_scope(session, view, station_id)
    access = view.access(session, Action.station_write)
    access.require_area(station.area_id, what=f"station #{station_id}")
    code, row = enrolment.create_code(
        session=session,
        station=station,
        actor=access.actor,
        now=view.now,
        ttl=timedelta(hours=settings.enrollment_code_ttl_hours),
    )
    session.commit()
    shown = EnrollmentCodePublic(station_id=station_id, code=code, expires_at=row.expires_at)
    command = install_command(_server_url(request), code)
    response = _station_page(session, view, settings, station, code=shown, install=command)
    response.headers["Cache-Control"] = "no-store"  # the code is not kept by the browser
    return response


@router.get("/stations/{station_id}/revoke")
def revoke_confirmation(session: SessionDep, view: PageDep, station_id: PathId) -> Response:
    station = _station_in_scope(session, view, station_id)
    view.access(session, Action.station_write).require_area(
        station.area_id, what=f"station #{station_id}"
    )
    return view.render("stations/revoke.html", {"station": station})


@router.post("/stations/{station_id}/revoke")
def revoke_station(
    session: SessionDep,
    settings: SettingsDep,
    view: CsrfPageDep,
    push: PushDep,
    directory: DirectoryDep,
    station_id: PathId,
) -> Response:
    station = _station_in_scope(session, view, station_id)
    access = view.access(session, Action.station_write)
    access.require_area(station.area_id, what=f"station #{station_id}")
    try:
        revoke_agent(
            session=session,
            station=station,
            actor=access.actor,
            now=view.now,
            directory=directory,
            push=push,
        )
    except REFUSALS as exc:
        session.rollback()
        message = problems_of(exc).general or _("The agent could not be revoked.")
        context = {"station": station, "error": message}
        return view.render("stations/revoke.html", context, status_code=status_of(exc))
    return RedirectResponse(f"/stations/{station_id}?done=revoked", status_code=303)
