"""Broadcast now and stop (phát ngay, dừng phát): ordered by an operator, issued by an
approver (or at once by one person holding both rights, where the policy allows), followed
station by station, and ended early by either."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from alerts import orders
from alerts.board import AlertBoardDep
from alerts.order_models import OrderCreate, OrderDetail, OrderPublic, OrdersPublic
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import PathId
from core.paging import PageDep

router = APIRouter(prefix="/api/v1/broadcasts", tags=["broadcast now (phát ngay)"])

Read = Annotated[AccessControl, Depends(Permission(Action.alert_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.broadcast_write))]
Approve = Annotated[AccessControl, Depends(Permission(Action.broadcast_approve))]


@router.post(
    "",
    response_model=OrderPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Order an approved item played now, or silence; with issue_now, issue it at once",
)
def create_order(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    board: AlertBoardDep,
    body: OrderCreate,
) -> OrderPublic:
    order = orders.create_order(
        session=session,
        access=access,
        single_confirmation=settings.alert_single_confirmation,
        board=board,
        order_in=body,
        now=clock.now(),
    )
    return orders.order_public(session=session, order=order)


@router.post(
    "/{order_id}/approve",
    response_model=OrderPublic,
    summary="Issue a pending order: it goes on the air at once (never its author's own)",
)
def approve_order(
    session: SessionDep, access: Approve, clock: ClockDep, board: AlertBoardDep, order_id: PathId
) -> OrderPublic:
    order = orders.approve_order(
        session=session, access=access, board=board, order_id=order_id, now=clock.now()
    )
    return orders.order_public(session=session, order=order)


@router.post("/{order_id}/reject", response_model=OrderPublic, summary="Refuse a pending order")
def reject_order(
    session: SessionDep, access: Approve, clock: ClockDep, order_id: PathId
) -> OrderPublic:
    order = orders.reject_order(session=session, access=access, order_id=order_id, now=clock.now())
    return orders.order_public(session=session, order=order)


@router.post(
    "/{order_id}/end",
    response_model=OrderPublic,
    summary="End an order on the air now (a play cut short, a stop lifted): the schedule "
    "takes the air back",
)
def end_order(
    session: SessionDep, access: Write, clock: ClockDep, board: AlertBoardDep, order_id: PathId
) -> OrderPublic:
    order = orders.end_order(
        session=session, access=access, board=board, order_id=order_id, now=clock.now()
    )
    return orders.order_public(session=session, order=order)


@router.get("", response_model=OrdersPublic, summary="Orders in your scope, newest first")
def list_orders(session: SessionDep, access: Read, page: PageDep) -> OrdersPublic:
    rows, total = orders.list_orders(session=session, prefixes=access.scope_prefixes(), page=page)
    return OrdersPublic(
        data=[orders.order_public(session=session, order=o) for o in rows], count=total
    )


@router.get(
    "/{order_id}",
    response_model=OrderDetail,
    summary="One order, with each station's acknowledgement: received, started, finished",
)
def read_order(
    session: SessionDep, access: Read, clock: ClockDep, settings: SettingsDep, order_id: PathId
) -> OrderDetail:
    order = orders.get_order(session=session, order_id=order_id)
    access.require_area(order.area_id, what=f"order #{order_id}")
    return orders.order_detail(session=session, order=order, settings=settings, now=clock.now())
