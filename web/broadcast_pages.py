"""Broadcast now and stop (Phát ngay, Dừng phát): the orders in scope, ordering one (approved
content or silence, the areas it reaches), issuing it (an approver, or at once by one person
where single confirmation is allowed), ending it early, and its live delivery board. Thin:
the API's own data functions (alerts.orders) with the page's sign-in, then a template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from alerts import orders
from alerts.board import AlertBoardDep
from alerts.models import Alert, AlertState, OrderAction
from alerts.order_models import OrderCreate
from core.areas.crud import get_area
from core.auth.permissions import Action
from core.deps import SessionDep, SettingsDep
from core.models import MAX_ID, PathId
from core.paging import Page
from playlists.content.crud import ContentFilter, list_items
from playlists.content.models import ContentKind, ContentStatus
from web.alert_pages import delivery_board
from web.choices import area_choices
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.live import fragment_response
from web.problems import REFUSALS, FormProblems, problems_of, status_of

router = APIRouter(include_in_schema=False)
LISTED = 30
CONTENT_LISTED = 200
REPEAT_COUNTS = (1, 2, 3, 5)
STOP_MINUTES = (15, 30, 60, 120, 240, 720, 1440)


class OrderFields(BaseModel):
    """The order form, as typed. Checkboxes are absent when unticked."""

    action: str = Field(default=OrderAction.play.value, max_length=8)
    area_id: str = Field(default="", max_length=20)
    target_area_ids: list[str] = Field(default_factory=list, max_length=200)
    content_id: str = Field(default="", max_length=20)
    volume: str = Field(default="100", max_length=4)
    repeat_count: str = Field(default="1", max_length=4)
    minutes: str = Field(default="60", max_length=5)
    issue_now: str = Field(default="", max_length=10)


def order_in(fields: OrderFields) -> OrderCreate | FormProblems:
    """The OrderCreate the form stands for, or its problems beside their fields."""
    problems = FormProblems()
    play = fields.action != OrderAction.stop.value
    if not fields.target_area_ids:
        problems.add("target_area_ids", _("Tick at least one area."))
    if play and not fields.content_id:
        problems.add("content_id", _("Choose the approved item to play."))
    if problems:
        return problems
    try:
        return OrderCreate.model_validate(
            {
                "action": fields.action,
                "area_id": fields.area_id or None,
                "target_area_ids": fields.target_area_ids,
                "content_id": fields.content_id if play else None,
                "volume": fields.volume or None,
                "repeat_count": fields.repeat_count or None,
                "minutes": fields.minutes or None,
                "issue_now": bool(fields.issue_now),
            }
        )
    except ValidationError as exc:
        return problems_of(exc)


def _order_in_scope(session: Session, view: PageView, order_id: int) -> Alert:
    order = orders.get_order(session=session, order_id=order_id)
    view.access(session, Action.alert_read).require_area(order.area_id, what=f"order #{order_id}")
    return order


@router.get("/broadcasts")
def orders_list(
    session: SessionDep, view: PageDep, offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0
) -> Response:
    reader = view.access(session, Action.alert_read)
    rows, total = orders.list_orders(
        session=session, prefixes=reader.scope_prefixes(), page=Page(offset=offset, limit=LISTED)
    )
    context = {
        "orders": [orders.order_public(session=session, order=o) for o in rows],
        "total": total,
        "offset": offset,
        "limit": LISTED,
        "href": lambda at: f"/broadcasts?offset={at}",
        "can_order": view.holds(Action.broadcast_write),
    }
    return view.render("broadcasts/list.html", context)


def _form_page(
    session: Session,
    view: PageView,
    single_allowed: bool,
    fields: OrderFields,
    problems: FormProblems | None = None,
    status_code: int = 200,
) -> Response:
    writer = view.access(session, Action.broadcast_write)
    approved = ContentFilter(status=ContentStatus.approved, kind=ContentKind.audio)
    content, _total = list_items(
        session=session,
        prefixes=writer.scope_prefixes(),
        page=Page(offset=0, limit=CONTENT_LISTED),
        filters=approved,
    )
    context = {
        "fields": fields,
        "problems": problems or FormProblems(),
        "areas": area_choices(
            session=session, principal=view.user.principal, action=Action.broadcast_write
        ),
        "content": [c for c in content if c.sha256],
        "repeat_counts": REPEAT_COUNTS,
        "stop_minutes": STOP_MINUTES,
        "single": single_allowed and view.holds(Action.broadcast_approve),
    }
    return view.render("broadcasts/new.html", context, status_code=status_code)


@router.get("/broadcasts/new")
def new_order(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    action: Annotated[OrderAction, Query()] = OrderAction.play,
) -> Response:
    areas = area_choices(
        session=session, principal=view.user.principal, action=Action.broadcast_write
    )
    first = str(areas[0].id) if areas else ""
    fields = OrderFields(
        action=action.value, area_id=first, target_area_ids=[first] if first else []
    )
    return _form_page(session, view, settings.alert_single_confirmation, fields)


@router.post("/broadcasts/new")
def create_order(
    session: SessionDep,
    settings: SettingsDep,
    board: AlertBoardDep,
    view: CsrfPageDep,
    fields: Annotated[OrderFields, Form()],
) -> Response:
    access = view.access(session, Action.broadcast_write)
    single = settings.alert_single_confirmation
    built = order_in(fields)
    if isinstance(built, FormProblems):
        return _form_page(session, view, single, fields, built, 422)
    try:
        order = orders.create_order(
            session=session,
            access=access,
            single_confirmation=single,
            board=board,
            order_in=built,
            now=view.now,
        )
    except REFUSALS as exc:
        session.rollback()
        return _form_page(session, view, single, fields, problems_of(exc), status_of(exc))
    done = "issued" if order.state == AlertState.issued.value else "ordered"
    return RedirectResponse(f"/broadcasts/{order.id}?done={done}", status_code=303)


def _delivery_part(
    session: Session, view: PageView, settings: SettingsDep, order: Alert
) -> tuple[str, str]:
    return delivery_board(
        view,
        settings,
        key=("order-delivery", order.id, order.state),
        url=f"/broadcasts/{order.id}/delivery",
        detail=lambda: orders.order_detail(
            session=session, order=order, settings=settings, now=view.now
        ),
    )


@router.get("/broadcasts/{order_id}")
def order_page(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    order_id: PathId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    order = _order_in_scope(session, view, order_id)
    public = orders.order_public(session=session, order=order)
    html, _digest = _delivery_part(session, view, settings, order)
    principal = view.user.principal
    area = get_area(session=session, area_id=order.area_id)
    pending = public.state == AlertState.pending
    context = {
        "order": public,
        "targets": [get_area(session=session, area_id=i) for i in public.target_area_ids],
        "delivery_html": html,
        "done": done,
        "can_review": pending
        and principal.can(Action.broadcast_approve, area.path)
        and order.created_by != principal.user_id,
        "own_pending": pending and order.created_by == principal.user_id,
        "can_end": public.state == AlertState.issued
        and public.expires > view.now
        and principal.can(Action.broadcast_write, area.path),
    }
    return view.render("broadcasts/order.html", context)


@router.get("/broadcasts/{order_id}/delivery")
def delivery_fragment(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    order_id: PathId,
    seen: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    order = _order_in_scope(session, view, order_id)
    html, digest = _delivery_part(session, view, settings, order)
    return fragment_response(view.request, html, digest, seen)


@router.post("/broadcasts/{order_id}/approve")
def approve(
    session: SessionDep, board: AlertBoardDep, view: CsrfPageDep, order_id: PathId
) -> Response:
    access = view.access(session, Action.broadcast_approve)
    orders.approve_order(
        session=session, access=access, board=board, order_id=order_id, now=view.now
    )
    return RedirectResponse(f"/broadcasts/{order_id}?done=issued", status_code=303)


@router.post("/broadcasts/{order_id}/reject")
def reject(session: SessionDep, view: CsrfPageDep, order_id: PathId) -> Response:
    access = view.access(session, Action.broadcast_approve)
    orders.reject_order(session=session, access=access, order_id=order_id, now=view.now)
    return RedirectResponse(f"/broadcasts/{order_id}?done=rejected", status_code=303)


@router.post("/broadcasts/{order_id}/end")
def end(session: SessionDep, board: AlertBoardDep, view: CsrfPageDep, order_id: PathId) -> Response:
    access = view.access(session, Action.broadcast_write)
    orders.end_order(session=session, access=access, board=board, order_id=order_id, now=view.now)
    return RedirectResponse(f"/broadcasts/{order_id}?done=ended", status_code=303)
