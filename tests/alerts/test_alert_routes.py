"""Emergency alerts through the API, on SQLite and PostgreSQL: four eyes, the one-person
issue an emergency allows, who may do what where, Updates and Cancels, and the stations
each alert reaches with their acknowledgements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.audit.models import AuditEvent
from core.auth.models import Role
from tests.alerts.factories import make_alert
from tests.clock import SettableClock
from tests.playlists.timelines.factories import approved_audio
from tests.stations.factories import make_group, make_station
from tests.world import World, now


@pytest.fixture
def clock(client: TestClient) -> SettableClock:
    settable = SettableClock(now())
    client.app.state.clock = settable  # type: ignore[attr-defined]
    return settable


def body(world: World, audio: int, **changes: Any) -> dict[str, Any]:
    return {
        "area_id": world.areas["A"],
        "target_area_ids": [world.areas["A"]],
        "event": "Bão",
        "headline": "Bão số 3 đổ bộ: mọi người ở trong nhà",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "content_id": audio,
        "expires": (now() + timedelta(hours=6)).isoformat(),
        "repeat": {"count": 3, "interval_s": 600},
    } | changes


def draft(client: TestClient, world: World, user: str = "operator_a", **changes: Any) -> Any:
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts", json=body(world, content, **changes), headers=world.headers(user)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_an_operators_alert_waits_for_an_approver_then_reaches_the_areas_stations(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    in_a, in_village = make_station(world, "A"), make_station(world, "A1")
    make_station(world, "B")  # another commune: not a target
    alert = draft(client, world)
    assert alert["state"] == "pending" and alert["stations"] == 0
    own = client.post(f"/api/v1/alerts/{alert['id']}/approve", headers=world.headers("approver_a"))
    assert own.status_code == 200, own.text
    issued = own.json()
    assert issued["state"] == "issued" and issued["approved_by"] == world.users["approver_a"]
    assert issued["stations"] == 2
    reached = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("supervisor_a"))
    assert [
        (d["station_id"], d["stage"], d["unacknowledged"]) for d in reached.json()["deliveries"]
    ] == [
        (in_a, "none", False),
        (in_village, "none", False),
    ]
    clock.advance(timedelta(seconds=31))
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("supervisor_a"))
    assert [d["unacknowledged"] for d in shown.json()["deliveries"]] == [True, True]


def test_nobody_approves_their_own_alert(client: TestClient, world: World) -> None:
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    alert = draft(client, world, user="duty_a")
    answer = client.post(f"/api/v1/alerts/{alert['id']}/approve", headers=world.headers("duty_a"))
    assert answer.status_code == 403 and "four eyes" in answer.text


def test_one_person_with_both_rights_may_issue_at_once_and_it_is_audited(
    client: TestClient, world: World
) -> None:
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    make_station(world, "A")
    alert = draft(client, world, user="duty_a", issue_now=True)
    assert alert["state"] == "issued" and alert["stations"] == 1
    with world.database.session() as session:
        actions = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_type == "alert")
        ).all()
    assert list(actions) == ["alert.create", "alert.issue_single_confirmation"]


def test_issue_now_is_refused_to_an_operator_without_approver_rights(
    client: TestClient, world: World
) -> None:
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts",
        json=body(world, content, issue_now=True),
        headers=world.headers("operator_a"),
    )
    assert answer.status_code == 403 and "approver rights" in answer.text
    listed = client.get("/api/v1/alerts", headers=world.headers("operator_a")).json()
    assert listed["count"] == 0  # nothing stored


@pytest.mark.parametrize(
    ("user", "target", "status"),
    [
        ("supervisor_a", "A", 403),  # reads, never issues
        ("approver_a", "A", 403),  # approves, does not draft
        ("operator_a", "B", 403),  # outside the operator's commune
        ("operator_a", "A1", 201),  # a village inside it
    ],
)
def test_who_may_draft_an_alert_where(
    client: TestClient, world: World, user: str, target: str, status: int
) -> None:
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts",
        json=body(world, content, target_area_ids=[world.areas[target]]),
        headers=world.headers(user),
    )
    assert answer.status_code == status, answer.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content_id": None}, "content_id"),  # neither audio nor text
        ({"text": "Có bão"}, "text"),  # both
        ({"target_area_ids": []}, "target"),
        (
            {"expires": "2020-01-01T00:00:00+00:00", "starts": "2021-01-01T00:00:00+00:00"},
            "expires",
        ),
        ({"msg_type": "Cancel"}, "references"),
        ({"repeat": {"count": 3}}, "interval_s"),
        ({"volume": 120}, "volume"),
    ],
)
def test_a_bad_alert_is_refused_naming_what_is_wrong(
    client: TestClient, world: World, changes: dict[str, Any], field: str
) -> None:
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts", json=body(world, content, **changes), headers=world.headers("operator_a")
    )
    assert answer.status_code == 422 and field in answer.text, answer.text


def test_a_cancel_ends_the_alert_and_an_update_supersedes_it(
    client: TestClient, world: World
) -> None:
    make_station(world, "A")
    first = draft(client, world)
    client.post(f"/api/v1/alerts/{first['id']}/approve", headers=world.headers("approver_a"))
    update = draft(client, world, msg_type="Update", references=[first["identifier"]])
    client.post(f"/api/v1/alerts/{update['id']}/approve", headers=world.headers("approver_a"))
    shown = client.get(f"/api/v1/alerts/{first['id']}", headers=world.headers("operator_a"))
    assert shown.json()["state"] == "superseded"
    cancel = client.post(
        "/api/v1/alerts",
        json={
            "area_id": world.areas["A"],
            "msg_type": "Cancel",
            "references": [update["identifier"]],
            "headline": "Hủy cảnh báo bão",
            "expires": (now() + timedelta(hours=1)).isoformat(),
        },
        headers=world.headers("operator_a"),
    )
    assert cancel.status_code == 201, cancel.text
    done = client.post(
        f"/api/v1/alerts/{cancel.json()['id']}/approve", headers=world.headers("approver_a")
    )
    assert done.status_code == 200, done.text
    shown = client.get(f"/api/v1/alerts/{update['id']}", headers=world.headers("operator_a"))
    assert shown.json()["state"] == "cancelled"


def test_a_reference_to_no_alert_is_refused(client: TestClient, world: World) -> None:
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts",
        json=body(world, content, msg_type="Update", references=["nothing-like-it"]),
        headers=world.headers("operator_a"),
    )
    assert answer.status_code == 422 and "nothing-like-it" in answer.text


@pytest.mark.parametrize("own_targets", [False, True], ids=["its-targets", "own-targets"])
def test_nobody_cancels_an_alert_outside_their_scope_by_naming_it(
    client: TestClient, world: World, own_targets: bool
) -> None:
    """Naming targets in one's own commune does not make another commune's alert one's
    own to end."""
    elsewhere = make_alert(world, "B", issued=True)
    targets = {"target_area_ids": [world.areas["A"]]} if own_targets else {}
    answer = client.post(
        "/api/v1/alerts",
        json={
            "area_id": world.areas["A"],
            "msg_type": "Cancel",
            "references": [elsewhere.identifier],
            "headline": "Hủy",
            "expires": (now() + timedelta(hours=1)).isoformat(),
        }
        | targets,
        headers=world.headers("operator_a"),
    )
    assert answer.status_code == 403, answer.text


def test_nobody_targets_a_station_group_outside_their_scope(
    client: TestClient, world: World
) -> None:
    group = make_group(world, "B", [make_station(world, "B")])
    content = approved_audio(world, "A", seconds=20)
    answer = client.post(
        "/api/v1/alerts",
        json=body(world, content, target_area_ids=[], target_group_ids=[group]),
        headers=world.headers("operator_a"),
    )
    assert answer.status_code == 403, answer.text
