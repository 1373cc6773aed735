"""Broadcast now (phát ngay) and stop (dừng phát): an operator plays one approved item now on
chosen areas or groups, or silences them; an approver issues the order (or, where the
single-confirmation policy allows, the operator holding both rights issues it at once).

An order is an alert row of the priority layer (`order_action` set): the issue asks for it
to be delivered like alerts — pushed, listed in every manifest it reaches so an agent that
missed the push still gets it, acknowledged per station — and the alert board, the push
transports, the acks and the delivery board do exactly that already. The agent plays it in
the priority layer (stations/agent/alerts.py): over the schedule, under any emergency.

A stop is silence in the priority layer for `minutes`, ended sooner when lifted. On each
agent it ends the play orders that began before it; here, it also ends (supersedes) the
play orders on the air whose every station it silences, so they leave the manifests.
Ending an order early (a play cut short, a stop lifted) is one person's act: it only ever
gives the air back to the schedule. It is audited like every other act.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from alerts import crud
from alerts.audio import NO_AUDIO, approved_audio
from alerts.board import AlertBoard
from alerts.issuing import area_paths, require_scope, require_single_confirmation
from alerts.models import Alert, AlertState, AlertTargets, AlertType, OrderAction, RepeatPlan
from alerts.order_models import OrderCreate, OrderDetail, OrderPublic
from alerts.views import alert_detail
from core.areas.scope import within_areas
from core.audit.chain import Actor, Subject, record
from core.auth.deps import AccessControl
from core.auth.four_eyes import require_four_eyes
from core.auth.permissions import Action
from core.config import Settings
from core.errors import Conflict, NotFound
from core.paging import Page, paginate
from playlists.content.crud import get_item

STOP_TITLE = "Dừng phát"  # what the stations' now-playing and as-run show for a stop
# A play order stays listed this long after its last repetition should have ended.
PLAY_MARGIN = timedelta(seconds=5)


def create_order(
    *,
    session: Session,
    access: AccessControl,
    single_confirmation: bool,
    board: AlertBoard,
    order_in: OrderCreate,
    now: datetime,
) -> Alert:
    """Store the order, pending; with issue_now (and the rights for it, where the policy
    allows one person to issue: `single_confirmation`), issue it too. Every refusal comes
    before anything is written."""
    targets = (
        AlertTargets(areas=tuple(order_in.target_area_ids), groups=tuple(order_in.target_group_ids))
        | AlertTargets()
    )
    reach = crud.areas_in_reach(session=session, targets=targets, references=[])
    require_scope(access, order_in.area_id, reach, what="the order", field="target_area_ids")
    if order_in.issue_now:
        require_single_confirmation(
            access,
            area_paths(access.session, [order_in.area_id, *reach]),
            allowed=single_confirmation,
            approve=Action.broadcast_approve,
            what="the order",
        )
    play = order_in.action == OrderAction.play
    if play:
        assert order_in.content_id is not None  # OrderCreate asks for it
        instead = "a broadcast now order plays approved audio only"
        audio = approved_audio(session, access, order_in.content_id, instead=instead)
        title = get_item(session=session, item_id=order_in.content_id).title
        count = order_in.repeat_count
        interval = order_in.repeat_interval_s or audio.duration_s
        repeat = RepeatPlan(count=count, interval_s=interval) if count > 1 else None
        expires = play_end(now, audio.duration_s, count, interval) + PLAY_MARGIN
    else:
        audio, title, repeat = NO_AUDIO, STOP_TITLE, None
        expires = now + timedelta(minutes=order_in.minutes)
    order = _pending_row(
        access.actor,
        now,
        msg_type=AlertType.alert.value,
        area_id=order_in.area_id,
        targets=targets.to_json(),
        headline=title,
        content_id=audio.content_id,
        sha256=audio.sha256,
        duration_s=audio.duration_s,
        size_bytes=audio.size_bytes,
        volume=order_in.volume if play else 0,
        expires=expires,
        repeat=repeat.model_dump_json() if repeat else None,
        order_action=order_in.action.value,
    )
    session.add(order)
    session.flush()
    _audit(session, order, "broadcast.create", access.actor, now)
    if order_in.issue_now:
        issue_order(session=session, order=order, actor=access.actor, now=now, single=True)
    session.commit()
    if order_in.issue_now:
        board.changed()
    return order


def play_end(starts: datetime, duration_s: float, count: int, interval_s: float) -> datetime:
    """When the last repetition ends, by the agents' rule: each starts `interval_s` after
    the one before, or right after it if that one still sounds."""
    free = starts
    for index in range(count):
        start = max(starts + timedelta(seconds=index * interval_s), free)
        free = start + timedelta(seconds=duration_s)
    return free


def issue_order(
    *, session: Session, order: Alert, actor: Actor, now: datetime, single: bool = False
) -> None:
    """On the air from `now`, its times moved with it (an order waits for its approver, but
    plays when issued). A stop first takes over the play orders it silences everywhere."""
    if order.state == AlertState.pending.value:
        late = now - order.starts
        order.starts, order.expires = now, order.expires + late
    if order.order_action == OrderAction.stop.value and order.state == AlertState.pending.value:
        ended = _plays_silenced(session, order, now)
        if ended:
            order.msg_type = AlertType.update.value
            order.reference_ids = json.dumps(ended)
    action = "broadcast.issue_single_confirmation" if single else "broadcast.issue"
    crud.issue(session=session, alert=order, actor=actor, now=now, audit_action=action)


def _plays_silenced(session: Session, stop: Alert, now: datetime) -> list[str]:
    """The play orders on the air whose every station the stop reaches."""
    silenced = crud.reached_by(session=session, targets=stop.target_ids())
    plays = [
        play
        for play in active_orders(session=session, now=now)
        if play.order_action == OrderAction.play.value
    ]
    ended = []
    for play in plays:
        if crud.reached_by(session=session, targets=play.target_ids()) <= silenced:
            ended.append(play.identifier)
    return sorted(ended)


def approve_order(
    *, session: Session, access: AccessControl, board: AlertBoard, order_id: int, now: datetime
) -> Alert:
    order = get_order(session=session, order_id=order_id)
    _require_reach(session, access, order)
    require_four_eyes(
        authors=[order.created_by],
        reviewer_id=access.principal.user_id,
        what=f"order #{order_id}",
        instead="another approver must approve it (or it is issued at once with issue_now, "
        "where the policy allows it)",
    )
    if order.state != AlertState.pending.value:
        raise Conflict(f"order #{order_id} is {order.state}, not pending: it cannot be issued")
    issue_order(session=session, order=order, actor=access.actor, now=now)
    session.commit()
    board.changed()
    return order


def reject_order(*, session: Session, access: AccessControl, order_id: int, now: datetime) -> Alert:
    order = get_order(session=session, order_id=order_id)
    _require_reach(session, access, order)
    if order.state != AlertState.pending.value:
        raise Conflict(f"order #{order_id} is {order.state}, not pending: it cannot be rejected")
    before = order.model_dump(mode="json")
    order.state, order.ended_at = AlertState.rejected.value, now
    session.add(order)
    _audit(session, order, "broadcast.reject", access.actor, now, before=before)
    session.commit()
    return order


def end_order(
    *, session: Session, access: AccessControl, board: AlertBoard, order_id: int, now: datetime
) -> Alert:
    """Cut a play short or lift a stop, everywhere it reached, at once: a Cancel of it,
    issued now, which the board pushes to its stations."""
    order = get_order(session=session, order_id=order_id)
    _require_reach(session, access, order)
    if order.state != AlertState.issued.value or order.expires <= now:
        raise Conflict(f"order #{order_id} is not on the air: there is nothing to end")
    ender = _pending_row(
        access.actor,
        now,
        msg_type=AlertType.cancel.value,
        reference_ids=json.dumps([order.identifier]),
        area_id=order.area_id,
        targets=order.targets,
        headline=order.headline,
        volume=0,
        expires=now,
        order_action=order.order_action,
    )
    session.add(ender)
    session.flush()
    crud.issue(
        session=session, alert=ender, actor=access.actor, now=now, audit_action="broadcast.end"
    )
    session.commit()
    board.changed()
    session.refresh(order)
    return order


def _pending_row(actor: Actor, now: datetime, **fields: Any) -> Alert:
    """An order (or the Cancel that ends one) as stored, pending, from `now`: what every
    order shares (no CAP sender of its own, no CAP grading)."""
    return Alert(
        identifier=f"order-{uuid.uuid4()}",
        sender=actor.name,
        status="Actual",
        urgency="Unknown",
        severity="Unknown",
        certainty="Unknown",
        starts=now,
        state=AlertState.pending.value,
        created_by=actor.id,
        created_at=now,
        **fields,
    )


def get_order(*, session: Session, order_id: int) -> Alert:
    order = session.get(Alert, order_id)
    if order is None or order.order_action is None or order.msg_type == AlertType.cancel.value:
        raise NotFound(f"broadcast order #{order_id} does not exist")
    return order


def active_orders(*, session: Session, now: datetime) -> list[Alert]:
    return [a for a in crud.active_alerts(session=session, now=now) if a.order_action is not None]


def list_orders(
    *, session: Session, prefixes: Sequence[str], page: Page
) -> tuple[list[Alert], int]:
    """Orders (not the Cancels that ended some), newest first."""
    orders = select(Alert).where(
        col(Alert.order_action).is_not(None), Alert.msg_type != AlertType.cancel.value
    )
    query = within_areas(orders, area_id=col(Alert.area_id), prefixes=prefixes)
    return paginate(session, query, page, col(Alert.created_at).desc(), col(Alert.id).desc())


def order_public(*, session: Session, order: Alert) -> OrderPublic:
    assert order.id is not None and order.order_action is not None
    targets = order.target_ids()
    repeat = RepeatPlan.model_validate_json(order.repeat) if order.repeat else None
    return OrderPublic(
        id=order.id,
        identifier=order.identifier,
        action=OrderAction(order.order_action),
        area_id=order.area_id,
        target_area_ids=list(targets.areas),
        target_group_ids=list(targets.groups),
        content_id=order.content_id,
        title=order.headline,
        duration_s=order.duration_s,
        volume=order.volume,
        repeat_count=repeat.count or 1 if repeat else 1,
        repeat_interval_s=repeat.interval_s if repeat else None,
        starts=order.starts,
        expires=order.expires,
        state=AlertState(order.state),
        created_by=order.created_by,
        created_at=order.created_at,
        approved_by=order.approved_by,
        issued_at=order.issued_at,
        ended_at=order.ended_at,
        ends=order.replaced_identifiers(),
        stations=crud.count_deliveries(session=session, alert_id=order.id),
    )


def order_detail(
    *, session: Session, order: Alert, settings: Settings, now: datetime
) -> OrderDetail:
    deliveries = alert_detail(session=session, alert=order, settings=settings, now=now).deliveries
    return OrderDetail(
        **order_public(session=session, order=order).model_dump(), deliveries=deliveries
    )


def _require_reach(session: Session, access: AccessControl, order: Alert) -> None:
    reach = crud.areas_in_reach(session=session, targets=order.target_ids(), references=[])
    require_scope(access, order.area_id, reach, what=f"order #{order.id}")


def _audit(
    session: Session,
    order: Alert,
    action: str,
    actor: Actor,
    now: datetime,
    before: dict[str, object] | None = None,
) -> None:
    record(
        session=session,
        actor=actor,
        action=action,
        subject=Subject("alert", order.id, order.area_id),
        now=now,
        before=before,
        after=order.model_dump(mode="json"),
    )
