"""The playlist preview (Lịch phát): a station's or an area's day as a timeline, with the
builder's warnings beside the session they concern, and a station's week.

The pages read through the API's own preview functions (`station_playlist`,
`area_playlist`: `timelines_for` and `playlist_public` inside, the scope checked there
with `require_area`), with the caller's access from `access_for`: the same answer and the
same refusal as `GET /api/v1/stations/{id}/playlist`. No second check here.

The timeline is an htmx fragment that asks again every 30 s, and when the tab comes back
to the front, with `If-None-Match`: its ETag is a digest of everything the fragment is
drawn from (the timelines' digests, the build's version, the names shown, the language),
so while the scheduler has rebuilt nothing the answer is an empty 304 (with `HX-Reswap:
none`: htmx leaves the timeline as it is), and a rebuild shows within half a minute."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, partial
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.areas.crud import get_area, list_areas
from core.areas.models import Area
from core.auth.deps import AccessControl, access_for
from core.auth.permissions import Action
from core.clock import Clock
from core.deps import ClockDep, SessionDep
from core.errors import Forbidden, Invalid, NotFound
from core.models import PathId
from core.paging import Page
from playlists.timelines.models import StationPlaylistPublic
from playlists.timelines.routes import NoPlanOfRecord, area_playlist, station_playlist
from stations import crud as stations_crud
from stations.models import Station
from web import i18n
from web.context import PageDep, PageView
from web.formatting import WEEKDAYS_EN, WEEKDAYS_VI, local_time, zone_name
from web.i18n import gettext as _
from web.problems import translate_refusal
from web.schedule_plan import TIERS, TIMINGS, DayPlan, lay_out, length
from web.templating import TEMPLATES_DIR

router = APIRouter(include_in_schema=False)

POLL = "every 30s, visibilitychange from:document"  # the timeline fragment's hx-trigger
WEEK_DAYS = 7
LISTED = 500  # areas and stations offered in the picker
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
DayText = Annotated[str | None, Query(alias="date", max_length=20)]


@dataclass(frozen=True)
class StationDay:
    station: Station
    area: Area
    plan: DayPlan
    version: int | None  # None: outside the built horizon, computed for the preview
    built_at: datetime | None
    etag: str


@dataclass(frozen=True)
class AreaDay:
    area: Area
    day: date
    plans: list[DayPlan]
    without_build: int
    etag: str


@dataclass(frozen=True)
class WeekDay:
    day: date
    plan: DayPlan


@dataclass(frozen=True)
class StationWeek:
    station: Station
    area: Area
    days: list[WeekDay]


@cache
def _templates_digest() -> str:
    """Part of the ETag: a fragment drawn by changed templates is a new fragment."""
    digest = hashlib.sha256()
    for path in sorted((TEMPLATES_DIR / "schedule").glob("*.html")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _etag(locale: str, *parts: object) -> str:
    text = json.dumps([_templates_digest(), locale, *parts], default=str, sort_keys=True)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _plan_parts(plan: DayPlan) -> list[object]:
    names = [(b.session_id, b.name) for b in plan.off_air]
    titles = [p.title for b in (*plan.on_air, *plan.off_air) for p in b.problems]
    stations = [(s.id, s.name) for s in plan.stations]
    return [plan.playlist.model_dump(mode="json"), names, titles, stations]


def _schedule_access(session: Session, view: PageView) -> AccessControl:
    return access_for(principal=view.user.principal, action=Action.schedule_read, session=session)


def station_day(
    *, session: Session, view: PageView, clock: Clock, station_id: int, day: date | None
) -> StationDay:
    """A station's day as the API's preview gives it, laid out for the page."""
    access = _schedule_access(session, view)
    found, recorded = _station_playlist(session, access, clock, station_id, day)
    station = stations_crud.get_station(session=session, station_id=station_id)
    area = get_area(session=session, area_id=station.area_id)
    plan = lay_out(session, found)
    plan.recorded = recorded
    etag = _etag(view.locale, found.version, found.built_at, station.name, *_plan_parts(plan))
    return StationDay(station, area, plan, found.version, found.built_at, etag)


def _station_playlist(
    session: Session, access: AccessControl, clock: Clock, station_id: int, day: date | None
) -> tuple[StationPlaylistPublic, bool]:
    """The preview, or an empty day for a past one with no plan of record (and False)."""
    try:
        found = station_playlist(
            session=session, access=access, clock=clock, station_id=station_id, day=day
        )
    except NoPlanOfRecord:
        assert day is not None  # today always has a plan: the build's, at worst
        station = stations_crud.get_station(session=session, station_id=station_id)
        empty = StationPlaylistPublic(
            date=day,
            timezone=get_area(session=session, area_id=station.area_id).timezone,
            digest="",
            station_ids=[station_id],
            sessions=[],
            items=[],
            warnings=[],
            station_id=station_id,
            version=None,
            built_at=None,
        )
        return empty, False
    return found, True


def area_day(
    *, session: Session, view: PageView, clock: Clock, area_id: int, day: date | None
) -> AreaDay:
    """Every distinct day of an area's stations, as the API's area preview groups them."""
    access = _schedule_access(session, view)
    found = area_playlist(session=session, access=access, clock=clock, area_id=area_id, day=day)
    area = get_area(session=session, area_id=area_id)
    ids = sorted({s for p in found.data for s in p.station_ids})
    stations = {s.id: s for s in stations_crud.stations_by_id(session=session, station_ids=ids)}
    plans = []
    for playlist in found.data:
        plan = lay_out(session, playlist)
        plan.stations = [stations[s] for s in playlist.station_ids if s in stations]
        plans.append(plan)
    parts = [p for plan in plans for p in _plan_parts(plan)]
    etag = _etag(view.locale, area.name, found.stations_without_build, *parts)
    return AreaDay(area, found.date, plans, len(found.stations_without_build), etag)


def station_week(
    *, session: Session, view: PageView, clock: Clock, station_id: int, first: date | None
) -> StationWeek:
    """Seven days from `first` (the area's today when None), each as the preview gives it."""
    access = _schedule_access(session, view)
    days: list[WeekDay] = []
    day = first
    for _offset in range(WEEK_DAYS):
        found, recorded = _station_playlist(session, access, clock, station_id, day)
        plan = lay_out(session, found)
        plan.recorded = recorded
        days.append(WeekDay(found.date, plan))
        day = found.date + timedelta(days=1)
    station = stations_crud.get_station(session=session, station_id=station_id)
    return StationWeek(station, get_area(session=session, area_id=station.area_id), days)


@dataclass(frozen=True)
class Choices:
    areas: list[Area]
    stations: list[Station]
    more: bool  # more than LISTED of either: the area pages list the rest


def choices(*, session: Session, view: PageView) -> Choices:
    """The areas and stations whose playlists the caller may read."""
    prefixes = _schedule_access(session, view).scope_prefixes()
    page = Page(offset=0, limit=LISTED)
    areas, area_total = list_areas(session=session, prefixes=prefixes, page=page)
    stations, station_total = stations_crud.list_stations(
        session=session, prefixes=prefixes, page=page
    )
    return Choices(areas, stations, max(area_total, station_total) > LISTED)


class NotADay(Invalid):
    """The `date` asked for is not a day: the page says how to write one."""


def parse_day(text: str | None) -> date | None:
    """The `date` a page was asked for (YYYY-MM-DD, as a date field sends it)."""
    if not text:
        return None
    try:
        if _DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise NotADay(f"not a day: {text!r}", field="date")


def day_name(day: date, locale: str) -> str:
    weekdays = WEEKDAYS_VI if locale == "vi" else WEEKDAYS_EN
    return f"{weekdays[day.weekday()]} {day:%d/%m/%Y}"


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


# --- the pages --------------------------------------------------------------------------


def _refused(view: PageView, exc: Forbidden | NotFound | Invalid) -> Response:
    """The API's refusal as a page (the menu kept), in the page's language, with the
    API's status."""
    i18n.use(view.locale)  # the message is translated before the page renders
    message = translate_refusal(str(exc))
    status_code = 403 if isinstance(exc, Forbidden) else 404 if isinstance(exc, NotFound) else 422
    if isinstance(exc, NotADay):
        message = _("Enter a date as DD/MM/YYYY.")
    return view.render("refused.html", {"message": message}, status_code=status_code)


def _helpers(view: PageView) -> dict[str, object]:
    return {
        "tiers": TIERS,
        "timings": TIMINGS,
        "length": length,
        "day_name": lambda day: day_name(day, view.locale),
        "poll": POLL,
        # a timeline's own zone where it differs from the page's (a village of another
        # zone in an area's view)
        "hhmm_in": lambda zone: lambda moment: local_time(moment, zone),
        "zone_name_of": zone_name,
    }


def _in_zone(view: PageView, zone: str) -> PageView:
    """The page in the area's zone: its times and the zone it names are the area's."""
    return replace(view, zone=zone)


@dataclass(frozen=True)
class _Shown:
    """What a page shows, ready to render: in the area's zone, with its fragment's ETag."""

    view: PageView
    context: dict[str, object]
    etag: str = ""


FRAGMENT = "schedule/timeline.html"


def _answer(
    view: PageView,
    load: Callable[[], _Shown],
    template: str,
    *,
    request: Request | None = None,
) -> Response:
    """The page, or (with `request`) the timeline fragment, conditional on its ETag; or
    the API's refusal as a page."""
    try:
        shown = load()
    except (Forbidden, NotFound, Invalid) as exc:
        return _refused(view, exc)
    if request is None:
        return shown.view.render(template, shown.context)
    headers = {"ETag": shown.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding, Cookie"}
    if shown.etag in _tags(request.headers.get("if-none-match")):
        # Nothing changed: htmx keeps what it shows (HX-Reswap: none) and asks again later.
        return Response(status_code=304, headers={**headers, "HX-Reswap": "none"})
    return shown.view.render(template, shown.context, headers=headers)


def _tags(header: str | None) -> Iterable[str]:
    return [t.strip().removeprefix("W/") for t in (header or "").split(",") if t.strip()]


def _day_links(base: str, day: date) -> dict[str, str]:
    return {
        "previous": f"{base}?date={day - timedelta(days=1)}",
        "next": f"{base}?date={day + timedelta(days=1)}",
        "week": f"{base}/week?date={day}",
        "fragment": f"{base}/timeline?date={day}",
    }


@router.get("/schedule")
def schedule_index(
    session: SessionDep,
    view: PageDep,
    station: Annotated[int | None, Query(ge=1)] = None,
    area: Annotated[int | None, Query(ge=1)] = None,
    day_text: DayText = None,
) -> Response:
    """Pick a station or an area, and a day; a pick goes to its page."""
    try:
        day = parse_day(day_text)
        found = choices(session=session, view=view)
    except (Forbidden, Invalid) as exc:
        return _refused(view, exc)
    suffix = f"?date={day}" if day else ""
    if station is not None:
        return RedirectResponse(f"/schedule/stations/{station}{suffix}", status_code=303)
    if area is not None:
        return RedirectResponse(f"/schedule/areas/{area}{suffix}", status_code=303)
    today = local_day(view.now, view.zone)
    return view.render("schedule/index.html", {"choices": found, "today": today})


def _station_shown(
    session: Session, view: PageView, clock: Clock, station_id: int, day_text: str | None
) -> _Shown:
    day = station_day(
        session=session, view=view, clock=clock, station_id=station_id, day=parse_day(day_text)
    )
    zoned = _in_zone(view, day.area.timezone)
    links = _day_links(f"/schedule/stations/{station_id}", day.plan.playlist.date)
    context = {**_helpers(zoned), "day": day, "plans": [day.plan], "etag": day.etag}
    return _Shown(zoned, {**context, "links": links}, day.etag)


def _area_shown(
    session: Session, view: PageView, clock: Clock, area_id: int, day_text: str | None
) -> _Shown:
    day = area_day(
        session=session, view=view, clock=clock, area_id=area_id, day=parse_day(day_text)
    )
    zoned = _in_zone(view, day.area.timezone)
    links = _day_links(f"/schedule/areas/{area_id}", day.day)
    del links["week"]  # a week is a station's
    context = {**_helpers(zoned), "area_day": day, "plans": day.plans, "etag": day.etag}
    return _Shown(zoned, {**context, "links": links}, day.etag)


def _week_shown(
    session: Session, view: PageView, clock: Clock, station_id: int, day_text: str | None
) -> _Shown:
    week = station_week(
        session=session, view=view, clock=clock, station_id=station_id, first=parse_day(day_text)
    )
    first = week.days[0].day
    base = f"/schedule/stations/{station_id}"
    links = {
        "previous": f"{base}/week?date={first - timedelta(days=WEEK_DAYS)}",
        "next": f"{base}/week?date={first + timedelta(days=WEEK_DAYS)}",
        "day": f"{base}?date={first}",
    }
    zoned = _in_zone(view, week.area.timezone)
    return _Shown(zoned, {**_helpers(zoned), "week": week, "links": links, "base": base})


@router.get("/schedule/stations/{station_id}")
def station_page(
    session: SessionDep, clock: ClockDep, view: PageDep, station_id: PathId, day: DayText = None
) -> Response:
    load = partial(_station_shown, session, view, clock, station_id, day)
    return _answer(view, load, "schedule/station.html")


@router.get("/schedule/stations/{station_id}/timeline")
def station_timeline(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    station_id: PathId,
    day: DayText = None,
) -> Response:
    """The station's timeline alone, for htmx: 304 while nothing changed."""
    load = partial(_station_shown, session, view, clock, station_id, day)
    return _answer(view, load, FRAGMENT, request=request)


@router.get("/schedule/stations/{station_id}/week")
def station_week_page(
    session: SessionDep, clock: ClockDep, view: PageDep, station_id: PathId, day: DayText = None
) -> Response:
    load = partial(_week_shown, session, view, clock, station_id, day)
    return _answer(view, load, "schedule/week.html")


@router.get("/schedule/areas/{area_id}")
def area_page(
    session: SessionDep, clock: ClockDep, view: PageDep, area_id: PathId, day: DayText = None
) -> Response:
    return _answer(
        view, partial(_area_shown, session, view, clock, area_id, day), "schedule/area.html"
    )


@router.get("/schedule/areas/{area_id}/timeline")
def area_timeline(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    view: PageDep,
    area_id: PathId,
    day: DayText = None,
) -> Response:
    """The area's timelines alone, for htmx: 304 while nothing changed."""
    load = partial(_area_shown, session, view, clock, area_id, day)
    return _answer(view, load, FRAGMENT, request=request)
