"""Emergencies (Bản tin khẩn cấp): the alerts in scope, drafting one from the usual kinds,
issuing it (an approver, or at once by one person where single confirmation is allowed),
Update and Cancel from its page, and its live delivery board. Thin: the API's own paths
(alerts.issuing, alerts.review) with the page's sign-in, then a template."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from alerts import crud
from alerts.board import AlertBoardDep
from alerts.issuing import create_and_maybe_issue
from alerts.models import Alert, AlertCreate, AlertState, AlertType
from alerts.review import approve_alert, reject_alert
from alerts.views import alert_detail, alert_public
from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import MAX_ID, PathId
from core.paging import Page
from playlists.content.services import ContentServicesDep
from web.alert_forms import (
    EXPIRY_HOURS,
    REPEAT_COUNTS,
    REPEAT_MINUTES,
    TEMPLATES,
    AlertFields,
    alert_in,
    new_alert_fields,
    template_of,
    update_fields,
)
from web.choices import area_choices
from web.context import CsrfPageDep, PageDep, PageView
from web.live import fragment_response, live_part
from web.problems import REFUSALS, FormProblems, problems_of, status_of
from web.templating import environment, speaking

router = APIRouter(include_in_schema=False)
LISTED = 30
DELIVERY = "alerts/_delivery.html"


def _alert_in_scope(session: Session, view: PageView, alert_id: int, action: Action) -> Alert:
    """The alert, if `action` is allowed in its area (else Forbidden, a page)."""
    alert = crud.get_alert(session=session, alert_id=alert_id)
    view.access(session, action).require_area(alert.area_id, what=f"alert #{alert_id}")
    return alert


@router.get("/alerts")
def alerts_list(
    session: SessionDep,
    view: PageDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    reader = view.access(session, Action.alert_read)
    rows, total = crud.list_alerts(
        session=session, prefixes=reader.scope_prefixes(), page=Page(offset=offset, limit=LISTED)
    )
    context = {
        "alerts": [alert_public(a) for a in rows],
        "total": total,
        "offset": offset,
        "limit": LISTED,
        "href": lambda at: f"/alerts?offset={at}",
        "templates": TEMPLATES,
        "can_draft": view.holds(Action.alert_write),
    }
    return view.render("alerts/list.html", context)


def _form_page(
    session: Session,
    view: PageView,
    settings: SettingsDep,
    fields: AlertFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    principal = view.user.principal
    areas = area_choices(session=session, principal=principal, action=Action.alert_write)
    context = {
        "fields": fields,
        "problems": problems or FormProblems(),
        "areas": areas,
        "template": template_of(fields.template),
        "expiry_hours": EXPIRY_HOURS,
        "repeat_counts": REPEAT_COUNTS,
        "repeat_minutes": REPEAT_MINUTES,
        "single": settings.alert_single_confirmation and view.holds(Action.alert_approve),
    }
    return view.render("alerts/new.html", context, status_code=status_code)


@router.get("/alerts/new")
def new_alert(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    template: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    view.access(session, Action.alert_write)
    areas = area_choices(session=session, principal=view.user.principal, action=Action.alert_write)
    first = areas[0].id if areas else None
    return _form_page(session, view, settings, new_alert_fields(template_of(template), first))


@router.post("/alerts/new")
def create_alert(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    view: CsrfPageDep,
    fields: Annotated[AlertFields, Form()],
) -> Response:
    access = view.access(session, Action.alert_write)
    built = alert_in(fields, view.now)
    if isinstance(built, FormProblems):
        return _form_page(session, view, settings, fields, built, 422)
    return _create(session, clock, settings, services, board, view, access, built, fields)


def _create(
    session: Session,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    view: PageView,
    access: AccessControl,
    built: AlertCreate,
    fields: AlertFields,
) -> Response:
    try:
        return _issued(session, clock, settings, services, board, access, built)
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc)
        return _form_page(session, view, settings, fields, problems, status_of(exc))


def _issued(
    session: Session,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    access: AccessControl,
    built: AlertCreate,
) -> Response:
    """The alert stored (and issued, where asked and allowed), then its page."""
    summary = create_and_maybe_issue(
        session=session,
        access=access,
        clock=clock,
        settings=settings,
        services=services,
        board=board,
        alert_in=built,
    )
    done = "issued" if summary.state == AlertState.issued else "drafted"
    return RedirectResponse(f"/alerts/{summary.id}?done={done}", status_code=303)


def delivery_board(
    view: PageView,
    settings: SettingsDep,
    *,
    key: tuple[object, ...],
    url: str,
    detail: Callable[[], object],
) -> tuple[str, str]:
    """A live delivery board (alerts/_delivery.html) of an alert or a broadcast order:
    `detail` gives its AlertDetail-like view (deliveries, state) when it must be drawn."""

    def rendered() -> str:
        words = speaking(view.locale, view.zone)
        template = environment.get_template(DELIVERY)
        return template.render(**words, alert=detail(), now=view.now)

    return live_part(
        view.request,
        key=(*key, view.locale, view.zone),
        refresh_s=settings.board_refresh_s,
        url=url,
        element_id="delivery",
        render=rendered,
    )


def _delivery_part(
    session: Session, view: PageView, settings: SettingsDep, alert_id: int
) -> tuple[str, str]:
    alert = crud.get_alert(session=session, alert_id=alert_id)
    return delivery_board(
        view,
        settings,
        key=("delivery", alert_id, alert.state),  # a new state shows at once
        url=f"/alerts/{alert_id}/delivery",
        detail=lambda: alert_detail(session=session, alert=alert, settings=settings, now=view.now),
    )


@router.get("/alerts/{alert_id}")
def alert_page(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    alert_id: PathId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    alert = _alert_in_scope(session, view, alert_id, Action.alert_read)
    public = alert_public(alert)
    html, _digest = _delivery_part(session, view, settings, alert_id)
    principal = view.user.principal
    area = get_area(session=session, area_id=alert.area_id)
    pending = public.state == AlertState.pending
    on_air = public.state == AlertState.issued and public.expires > view.now
    context = {
        "alert": public,
        "area": area,
        "targets": [get_area(session=session, area_id=i) for i in public.target_area_ids],
        "delivery_html": html,
        "done": done,
        "can_review": pending
        and principal.can(Action.alert_approve, area.path)
        and alert.created_by != principal.user_id,
        "own_pending": pending and alert.created_by == principal.user_id,
        "can_change": on_air
        and public.msg_type != AlertType.cancel
        and principal.can(Action.alert_write, area.path),
    }
    return view.render("alerts/alert.html", context)


@router.get("/alerts/{alert_id}/delivery")
def delivery_fragment(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    alert_id: PathId,
    seen: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    _alert_in_scope(session, view, alert_id, Action.alert_read)
    html, digest = _delivery_part(session, view, settings, alert_id)
    return fragment_response(view.request, html, digest, seen)


@router.post("/alerts/{alert_id}/approve")
def approve(
    session: SessionDep, board: AlertBoardDep, view: CsrfPageDep, alert_id: PathId
) -> Response:
    access = view.access(session, Action.alert_approve)
    approve_alert(session=session, access=access, board=board, alert_id=alert_id, now=view.now)
    return RedirectResponse(f"/alerts/{alert_id}?done=issued", status_code=303)


@router.post("/alerts/{alert_id}/reject")
def reject(session: SessionDep, view: CsrfPageDep, alert_id: PathId) -> Response:
    access = view.access(session, Action.alert_approve)
    reject_alert(session=session, access=access, alert_id=alert_id, now=view.now)
    return RedirectResponse(f"/alerts/{alert_id}?done=rejected", status_code=303)


@router.get("/alerts/{alert_id}/update")
def update_form(
    session: SessionDep, settings: SettingsDep, view: PageDep, alert_id: PathId
) -> Response:
    alert = _alert_in_scope(session, view, alert_id, Action.alert_write)
    return _form_page(session, view, settings, update_fields(alert_public(alert)))


@router.get("/alerts/{alert_id}/cancel")
def cancel_confirmation(
    session: SessionDep, settings: SettingsDep, view: PageDep, alert_id: PathId
) -> Response:
    alert = _alert_in_scope(session, view, alert_id, Action.alert_write)
    single = settings.alert_single_confirmation and view.holds(Action.alert_approve)
    return view.render("alerts/cancel.html", {"alert": alert_public(alert), "single": single})


@router.post("/alerts/{alert_id}/cancel")
def cancel(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    view: CsrfPageDep,
    alert_id: PathId,
    issue_now: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    alert = _alert_in_scope(session, view, alert_id, Action.alert_write)
    access = view.access(session, Action.alert_write)
    cancel_in = AlertCreate(
        msg_type=AlertType.cancel,
        references=[alert.identifier],
        area_id=alert.area_id,
        headline=f"Hủy: {alert.headline}"[:300],
        expires=max(alert.expires, view.now + timedelta(minutes=5)),
        issue_now=bool(issue_now),
    )
    try:
        return _issued(session, clock, settings, services, board, access, cancel_in)
    except REFUSALS as exc:
        session.rollback()
        message = problems_of(exc).general
        context = {"alert": alert_public(alert), "single": True, "error": message}
        return view.render("alerts/cancel.html", context, status_code=status_of(exc))
