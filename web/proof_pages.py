"""Proof of play (Bằng chứng phát sóng) found by a bulletin's title, and the emergency
alerts' delivery (Cảnh báo khẩn cấp): pages over the reports' API functions, with the
caller's `report.read` access, as the JSON and the downloads answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Forbidden, Invalid, NotFound
from core.models import MAX_ID, PathId
from core.paging import Page
from reports.alert_routes import alert_delivery_list, alert_delivery_report
from reports.export_routes import EXPORTED_ALERTS
from reports.filters import ProofFilter
from reports.proof_search import find_bulletins
from reports.routes import proof_of_play_report
from web.context import PageDep
from web.feed_status import feed_rows
from web.report_pages import refused_or_invalid, report_access, report_context, report_helpers
from web.schedule_pages import NotADay, local_day, parse_day
from web.sessions_view import refused
from web.templating import speaking

router = APIRouter(include_in_schema=False)
DayText = Annotated[str | None, Query(max_length=20)]


@router.get("/reports/proof")
def proof_page(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    view: PageDep,
    q: Annotated[str, Query(max_length=200)] = "",
    lineage_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    first: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    last: Annotated[str | None, Query(alias="to", max_length=20)] = None,
) -> Response:
    """A title typed finds bulletins; one picked shows where and when it aired."""
    try:
        access = report_access(view, session)
        today = local_day(view.now, view.zone)
        start = parse_day(first) or today - timedelta(days=6)
        end = parse_day(last) or today
    except (Forbidden, NotADay) as exc:
        return refused_or_invalid(view, exc)
    found = []
    if q.strip() and lineage_id is None:
        found = find_bulletins(
            session=session,
            q=q.strip(),
            station_prefixes=access.scope_prefixes(),
            content_prefixes=view.user.principal.scope_prefixes(Action.content_read),
            first=start,
            last=end,
        )
    context = {**report_helpers(view), "q": q, "found": found, "first": start, "last": end}
    if lineage_id is not None:
        try:
            filters = ProofFilter(lineage_id=lineage_id, first=start, last=end)
            report = proof_of_play_report(session, access, clock, settings, filters)
        except (NotFound, Invalid) as exc:
            return refused_or_invalid(view, exc)
        query = urlencode({"lineage_id": lineage_id, "from": str(start), "to": str(end)})
        context |= {"report": report, "export": f"/reports/proof/download?{query}"}
    return view.render("reports/proof.html", context)


@router.get("/reports/alerts")
def alerts_page(
    session: SessionDep, clock: ClockDep, settings: SettingsDep, view: PageDep
) -> Response:
    try:
        access = report_access(view, session)
    except Forbidden as exc:
        return refused(view, exc)
    listed = alert_delivery_list(
        session, access, clock, settings, Page(offset=0, limit=EXPORTED_ALERTS), None, None
    )
    feeds = feed_rows(
        session=session,
        prefixes=access.scope_prefixes(),
        now=clock.now(),
        when=speaking(view.locale, view.zone)["when"],
    )
    context = {
        **report_context(view, listed),
        "export": "/reports/alerts/download?",
        "feeds": feeds,
    }
    return view.render("reports/alerts.html", context)


@router.get("/reports/alerts/{alert_id}")
def alert_page(
    session: SessionDep, clock: ClockDep, settings: SettingsDep, view: PageDep, alert_id: PathId
) -> Response:
    try:
        access = report_access(view, session)
        report = alert_delivery_report(session, access, clock, settings, alert_id)
    except (Forbidden, NotFound) as exc:
        return refused(view, exc)
    context = {**report_context(view, report), "export": f"/reports/alerts/{alert_id}/download?"}
    return view.render("reports/alert.html", context)
