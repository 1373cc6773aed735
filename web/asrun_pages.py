"""The as-run log (Nhật ký phát sóng): what the clusters reported they played, newest first,
with the API's filters; failed, partial, skipped and pre-empted records stand out; a CSV of
what is filtered. Days are the reader's own (their home area's zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import Session, col, select

from core.areas.crud import get_area
from core.auth.deps import AccessControl, access_for
from core.auth.permissions import Action
from core.db import chunks
from core.deps import SessionDep
from core.errors import Invalid
from core.models import MAX_ID
from core.paging import Page
from reports.exports import ExportFormat, export
from reports.tables import OUTCOMES, Cell, Table, local_moment
from stations.crud import get_station
from stations.fleet import asrun
from stations.fleet.models import AsRun
from stations.models import Station
from web.choices import area_choices
from web.context import PageDep, PageView
from web.i18n import gettext as _
from web.problems import FormProblems
from web.schedule_pages import NotADay, parse_day

router = APIRouter(include_in_schema=False)
LISTED = 50
EXPORTED = 20_000  # rows in one CSV: narrow the filter for more
RESULTS = ("played", "partial", "failed", "preempted", "skipped")
# A select's "all" is an empty value: an id is read from text, not refused by FastAPI.
Id = Annotated[str, Query(max_length=20)]
Day = Annotated[str, Query(alias="from", max_length=20)]


@dataclass(frozen=True)
class AsRunFilter:
    area: int | None = None
    station: int | None = None
    result: str = ""
    first: str = ""  # YYYY-MM-DD, as typed
    last: str = ""

    def query(self, **more: object) -> str:
        pairs = {
            "area": self.area or "",
            "station": self.station or "",
            "result": self.result,
            "from": self.first,
            "to": self.last,
            **more,
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})


def _id(text: str) -> int | None:
    """An id from a query (empty: none); one that is not an id is the caller's mistake."""
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise Invalid(f"not an id: {text!r}")
    return int(text)


def asrun_filter(
    area: Id = "",
    station: Id = "",
    result: Annotated[str, Query(max_length=20)] = "",
    first: Day = "",
    last: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> AsRunFilter:
    """The filter as the page's query gives it (the form's names, its days as typed)."""
    return AsRunFilter(_id(area), _id(station), result, first, last)


FilterDep = Annotated[AsRunFilter, Depends(asrun_filter)]


def _reader(session: Session, view: PageView) -> AccessControl:
    return access_for(principal=view.user.principal, action=Action.asrun_read, session=session)


def _bounds(
    form: AsRunFilter, zone: str, problems: FormProblems
) -> tuple[datetime | None, datetime | None]:
    days: list[date | None] = []
    for name, text in (("from", form.first), ("to", form.last)):
        try:
            days.append(parse_day(text))
        except NotADay:
            problems.add(name, _("Enter a day as the date field gives it."))
            days.append(None)
    first, last = days
    if first and last and last < first:
        problems.add("to", _("The last day is before the first."))
    local = ZoneInfo(zone)
    since = datetime.combine(first, time(0), tzinfo=local) if first else None
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=local) if last else None
    return since, until


def _records(
    session: Session, view: PageView, form: AsRunFilter, page: Page
) -> tuple[list[AsRun], int, FormProblems]:
    reader = _reader(session, view)
    problems = FormProblems()
    if form.area is not None:
        reader.require_area(form.area, what=f"area #{form.area}")
    if form.station is not None:
        station = get_station(session=session, station_id=form.station)
        reader.require_area(station.area_id, what=f"station #{form.station}")
    if form.result and form.result not in RESULTS:
        problems.add("result", _("Choose one from the list."))
    since, until = _bounds(form, view.zone, problems)
    if problems:
        return [], 0, problems
    rows, total = asrun.list_records(
        session=session,
        prefixes=reader.scope_prefixes(),
        page=page,
        station_id=form.station,
        area_path=get_area(session=session, area_id=form.area).path if form.area else None,
        result=form.result or None,
        since=since,
        until=until,
    )
    return rows, total, problems


def station_names(session: Session, rows: list[AsRun]) -> dict[int, str]:
    """The clusters' names today (a record keeps only the id; a deleted one has none)."""
    ids = sorted({r.station_id for r in rows})
    names: dict[int, str] = {}
    for batch in chunks(ids):
        for found in session.exec(select(Station).where(col(Station.id).in_(batch))):
            assert found.id is not None
            names[found.id] = found.name
    return names


@router.get("/asrun")
def asrun_log(
    session: SessionDep,
    view: PageDep,
    form: FilterDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    rows, total, problems = _records(session, view, form, Page(offset=offset, limit=LISTED))
    principal = view.user.principal
    context = {
        "form": form,
        "records": rows,
        "total": total,
        "offset": offset,
        "limit": LISTED,
        "problems": problems,
        "results": RESULTS,
        "areas": area_choices(session=session, principal=principal, action=Action.asrun_read),
        "station": get_station(session=session, station_id=form.station) if form.station else None,
        "names": station_names(session, rows),
        "href": lambda at: f"/asrun?{form.query(offset=at)}",
        "download": f"/asrun/download?{form.query()}",
        "exported": EXPORTED,
    }
    return view.render("asrun/log.html", context, status_code=422 if problems else 200)


@router.get("/asrun/download")
def asrun_download(session: SessionDep, view: PageDep, form: FilterDep) -> Response:
    rows, _total, problems = _records(session, view, form, Page(offset=0, limit=EXPORTED))
    if problems:
        raise Invalid(next(iter(problems.fields.values())))
    zone, names = ZoneInfo(view.zone), station_names(session, rows)
    table = Table(
        title="Nhật ký phát sóng", header=_HEADER, rows=[_row(r, names, zone) for r in rows]
    )
    return export([table], ExportFormat.csv, "nhat-ky-phat-song", pdf=lambda: b"")


_HEADER = (
    "Thời điểm",
    "Cụm loa",
    "Địa bàn",
    "Bản tin",
    "Kết quả",
    "Giờ theo lịch",
    "Bắt đầu",
    "Kết thúc",
    "Lệch đồng hồ (ms)",
    "Lỗi",
    "Mã bản ghi",
)


def _row(record: AsRun, names: dict[int, str], zone: ZoneInfo) -> tuple[Cell, ...]:
    return (
        local_moment(record.occurred_at, zone),
        names.get(record.station_id, f"#{record.station_id}"),
        record.station_area_name,
        record.snapshot_title,
        OUTCOMES.get(record.result, record.result),
        local_moment(record.planned_start, zone),
        local_moment(record.started_at, zone),
        local_moment(record.ended_at, zone),
        record.clock_offset_ms,
        record.error,
        record.id,
    )
