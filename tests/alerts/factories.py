"""Alerts for tests, through the real data functions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from alerts import crud, orders
from alerts.models import Alert, AlertCreate, AlertType, CapOrigin, OrderAction
from alerts.order_models import OrderCreate
from core.areas.models import Area
from core.audit.chain import Actor
from core.auth.deps import AccessControl
from core.auth.models import Role
from core.auth.permissions import Action, Grant, Principal
from tests.playlists.timelines.factories import approved_audio
from tests.world import World, now

SETUP = Actor(id=None, name="test-setup")


# The sender of tests/alerts/cap_documents.py's documents.
CAP_SENDER = "canhbao@nchmf.gov.vn"


def make_alert(
    world: World,
    area: str,
    *,
    issued: bool = False,
    sender: str | None = None,
    identifier: str | None = None,
) -> Alert:
    """A pending (or issued) alert for the area's stations, with made-up audio; from a CAP
    `sender` if given (else from the test's operator)."""
    alert_in = AlertCreate(
        identifier=identifier,
        area_id=world.areas[area],
        target_area_ids=[world.areas[area]],
        headline="Lũ quét: tránh xa bờ suối",
        text="Lũ quét",
        expires=now() + timedelta(hours=6),
    )
    audio = crud.AlertAudio(sha256="ab" * 32, duration_s=12.0, size_bytes=1000)
    origin = CapOrigin(sender=sender, language="vi-VN") if sender else None
    return _stored(world, alert_in, audio, issued=issued, origin=origin)


def make_cancel(world: World, alert: Alert) -> Alert:
    """An issued Cancel of the alert: it ends the alert and delivers nothing of its own."""
    cancel_in = AlertCreate(
        area_id=alert.area_id,
        msg_type=AlertType.cancel,
        references=[alert.identifier],
        headline="Hết lũ",
        expires=alert.expires,
    )
    no_audio = crud.AlertAudio(sha256=None, duration_s=0.0, size_bytes=0)
    return _stored(world, cancel_in, no_audio, issued=True)


def _stored(
    world: World,
    alert_in: AlertCreate,
    audio: crud.AlertAudio,
    *,
    issued: bool,
    origin: CapOrigin | None = None,
) -> Alert:
    with world.database.session(write=True) as session:
        targets = crud.targets_of(session=session, alert_in=alert_in)
        alert = crud.create_alert(
            session=session,
            alert_in=alert_in,
            targets=targets,
            audio=audio,
            actor=SETUP,
            now=now(),
            origin=origin,
        )
        if issued:
            crud.issue(session=session, alert=alert, actor=SETUP, now=now())
        session.commit()
        session.refresh(alert)
        return alert


class _NoBoard:
    """Orders made here are issued straight into the database: no agent is told."""

    def changed(self) -> None:
        pass


def make_order(
    world: World, area: str, *, issued: bool = False, action: OrderAction = OrderAction.play
) -> Alert:
    """A pending (or issued) broadcast now order for the area's stations, ordered through
    the real data function by a duty officer of the area (operator and approver there)."""
    content_id = approved_audio(world, area, seconds=12) if action == OrderAction.play else None
    with world.database.session(write=True) as session:
        path = session.exec(select(Area.path).where(Area.id == world.areas[area])).one()
        grants = tuple(
            Grant(role=role, area_id=world.areas[area], area_path=path)
            for role in (Role.operator, Role.approver)
        )
        principal = Principal(user_id=world.users["operator_a"], username="duty", grants=grants)
        access = AccessControl(principal, Action.broadcast_write, session)
        order_in = OrderCreate(
            action=action,
            area_id=world.areas[area],
            target_area_ids=[world.areas[area]],
            content_id=content_id,
            issue_now=issued,
        )
        order = orders.create_order(
            session=session,
            access=access,
            single_confirmation=True,
            board=_NoBoard(),  # type: ignore[arg-type]
            order_in=order_in,
            now=now(),
        )
        session.refresh(order)
        return order
