"""What real feeds send next, through `POST /api/v1/alerts/cap`: Updates and Cancels of
alerts this server never held, NOAA's cancelling Update, identifiers unique per sender, the
default expiry, and the sender's station ceiling (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from alerts.models import Alert
from core.audit.models import AuditEvent
from core.auth.models import Role
from core.config import Settings
from tests.alerts.cap_documents import (
    CODES,
    cap_alert,
    give_code,
    give_real_codes,
    real_document,
)
from tests.alerts.factories import CAP_SENDER, make_alert
from tests.alerts.test_cap_routes import imported
from tests.alerts.test_cap_routes import post as cap_post
from tests.stations.factories import make_station
from tests.world import World

# Their subject is what follows an alert, not the reading: the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")

NOAA = "wcatwc@noaa.gov"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # A ceiling for one sender only: every other sender's alerts are issued as asked.
    return settings.model_copy(update={"cap_station_ceilings": {"ceiling@test": 1}})


@pytest.fixture
def duty(world: World) -> World:
    """Codes on P, A, A1, B; duty_a may operate and approve in A."""
    for area in CODES:
        give_code(world, area)
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    return world


def post(client: TestClient, world: World, document: bytes, **params: Any) -> Any:
    return cap_post(client, world, document, "duty_a", **params)


def created(client: TestClient, world: World, document: bytes, **params: Any) -> Any:
    return imported(client, world, document, user="duty_a", **params)


def actions(world: World, alert_id: int) -> list[str]:
    with world.database.session() as session:
        query = select(AuditEvent.action).where(
            AuditEvent.object_type == "alert", AuditEvent.object_id == alert_id
        )
        return list(session.exec(query.order_by(col(AuditEvent.id))).all())


def states(world: World) -> dict[str, str]:
    with world.database.session() as session:
        return {a.identifier: a.state for a in session.exec(select(Alert)).all()}


def test_an_update_of_an_alert_never_held_goes_on_the_air_as_a_new_alert(
    client: TestClient, duty: World
) -> None:
    make_station(duty, "A1")
    update = cap_alert("VN-2", msg_type="Update", references=("VN-1",))
    alert = created(client, duty, update, issue_now="true")
    assert (alert["msg_type"], alert["state"], alert["stations"]) == ("Alert", "issued", 1)
    assert alert["references"] == []  # nothing held here to end
    (kept,) = alert["cap_references"]
    assert kept.startswith(f"{CAP_SENDER},VN-1,")  # the reference as sent, time and all
    assert actions(duty, alert["id"]) == [
        "alert.create_from_unheld_update",
        "alert.issue_single_confirmation",
    ]


def test_a_cancel_of_alerts_never_held_is_recorded_and_ends_nothing(
    client: TestClient, duty: World
) -> None:
    on_air = make_alert(duty, "A", issued=True, sender=CAP_SENDER)
    cancel = cap_alert("VN-9", msg_type="Cancel", references=("VN-0",), info=False)
    notice = created(client, duty, cancel, issue_now="true")
    assert (notice["msg_type"], notice["state"], notice["stations"]) == ("Cancel", "recorded", 0)
    assert notice["area_id"] == duty.areas["A"]  # no area named: the caller's own
    assert states(duty) == {on_air.identifier: "issued", "VN-9": "recorded"}
    assert actions(duty, notice["id"]) == ["alert.record_unheld_cancel"]
    again = post(client, duty, cancel)
    assert again.status_code == 409 and "VN-9" in again.text  # the feed sent it twice


def test_the_tsunami_centres_cancelling_update_ends_the_warnings_it_references(
    client: TestClient, world: World
) -> None:
    """NOAA's final message: an Update of three earlier ones, expiring when it is sent."""
    give_real_codes(world)
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    warnings = [f"PAAQ-{n}-mg5a94" for n in (1, 2, 3)]
    for identifier in warnings:
        make_alert(world, "A", issued=True, sender=NOAA, identifier=identifier)
    document = real_document("ntwc-tsunami-cancellation-update.adapted.xml", expires_at_sent=True)
    final = created(client, world, document, issue_now="true")
    assert (final["msg_type"], final["state"], final["sha256"]) == ("Cancel", "issued", None)
    assert final["references"] == [f"{NOAA},{identifier}" for identifier in warnings]
    assert final["language"] == "en-US"
    assert states(world) == {**dict.fromkeys(warnings, "cancelled"), "PAAQ-4-mg5a94": "issued"}


def test_a_real_cancel_of_an_alert_never_held_is_acknowledged(
    client: TestClient, world: World
) -> None:
    """FEMA IPAWS: Nevada's Cancel of an alert this server never had, with no <info>."""
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    notice = created(client, world, real_document("ipaws-nv-cancel.adapted.xml"))
    assert notice["state"] == "recorded" and notice["sender"] == "bbrundage@dps.state.nv.us"


def test_identifiers_are_unique_per_sender(client: TestClient, duty: World) -> None:
    first = created(client, duty, cap_alert("VN-1"))
    other = created(client, duty, cap_alert("VN-1", sender="canhbao@tinh91.gov.vn"))
    assert (first["sender"], other["sender"]) == (CAP_SENDER, "canhbao@tinh91.gov.vn")
    repeated = post(client, duty, cap_alert("VN-1"))
    assert repeated.status_code == 409 and CAP_SENDER in repeated.text


def test_an_update_ends_only_its_own_senders_alert(client: TestClient, duty: World) -> None:
    created(client, duty, cap_alert("VN-1"), issue_now="true")
    created(client, duty, cap_alert("VN-1", sender="canhbao@tinh91.gov.vn"), issue_now="true")
    created(
        client, duty, cap_alert("VN-2", msg_type="Update", references=("VN-1",)), issue_now="true"
    )
    with duty.database.session() as session:
        by_sender = {(a.sender, a.identifier): a.state for a in session.exec(select(Alert))}
    assert by_sender[(CAP_SENDER, "VN-1")] == "superseded"
    assert by_sender[("canhbao@tinh91.gov.vn", "VN-1")] == "issued"


def test_without_expires_the_categorys_default_is_applied_and_stated(
    client: TestClient, duty: World
) -> None:
    alert = created(client, duty, cap_alert(no_expires=True))
    assert alert["expires_default"] == "Met"  # six hours: settings cap_default_expiry_h


@pytest.mark.parametrize(("stations", "state"), [(1, "issued"), (2, "pending")])
def test_beyond_its_senders_ceiling_an_alert_waits_for_an_approver(
    client: TestClient, duty: World, stations: int, state: str
) -> None:
    for _ in range(stations):
        make_station(duty, "A1")
    document = cap_alert(sender="ceiling@test")
    alert = created(client, duty, document, issue_now="true")
    assert alert["state"] == state
    if state == "pending":
        assert "more than the 1" in alert["hold_reason"] and "approver" in alert["hold_reason"]
    else:
        assert alert["hold_reason"] is None


def test_an_alert_whose_cancel_came_first_is_not_broadcast(client: TestClient, duty: World) -> None:
    """A feed read out of order: the Cancel of VN_1 arrives before VN_1 itself."""
    cancel = cap_alert("VN-9", msg_type="Cancel", references=("VN_1",), info=False)
    created(client, duty, cancel)
    late = post(client, duty, cap_alert("VN_1"))
    assert late.status_code == 409 and "cancelled VN_1 already" in late.text
    # "_" is no wildcard here: another identifier of the same shape is broadcast.
    created(client, duty, cap_alert("VNx1"))
