"""Broadcast now and stop through the API, on SQLite and PostgreSQL: four eyes and the
one-person issue, scope, what each order reaches, its delivery (manifest, push, acks), a
stop taking over the plays it silences, and ending an order early."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.audit.models import AuditEvent
from core.auth.models import Role
from playlists.content.models import ContentKind, ContentStatus
from stations.protocol import EVENTS_PATH, MANIFEST_PATH, Manifest
from tests.playlists.content.factories import make_item
from tests.playlists.timelines.factories import approved_audio
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrolled_station
from tests.stations.fleet.scenario import keeper_for
from tests.world import World

URL = "/api/v1/broadcasts"


@pytest.fixture
def duty(world: World) -> str:
    """The duty officer: operator and approver in commune A, so may issue at once."""
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    return "duty_a"


def order(
    client: TestClient, world: World, user: str, *, status: int = 201, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"area_id": world.areas["A"], "target_area_ids": [world.areas["A"]]}
    if fields.get("action", "play") == "play" and "content_id" not in fields:
        body["content_id"] = approved_audio(world, "A", seconds=12)
    answer = client.post(URL, json=body | fields, headers=world.headers(user))
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def synced(world: World, area: str) -> tuple[int, str]:
    """An enrolled station with its first build: its id and token."""
    station = enrolled_station(world, area)
    keeper_for(world).tick()
    return station


def _manifest(client: TestClient, token: str) -> Manifest:
    headers = {"Authorization": f"Bearer {token}"}
    return Manifest.model_validate_json(client.get(MANIFEST_PATH, headers=headers).content)


def _audit(world: World) -> list[str]:
    with world.database.session() as session:
        query = select(AuditEvent.action).order_by(col(AuditEvent.id))
        return [a for a in session.exec(query).all() if a.startswith("broadcast.")]


def test_an_operators_order_waits_for_an_approver_then_is_in_the_manifest_as_priority(
    client: TestClient, world: World
) -> None:
    station_id, token = synced(world, "A")
    make_station(world, "B")  # another commune: not reached
    pending = order(client, world, "operator_a", repeat_count=2, volume=70)
    assert (pending["state"], pending["stations"], pending["action"]) == ("pending", 0, "play")
    assert _manifest(client, token).alerts == []
    own = client.post(f"{URL}/{pending['id']}/approve", headers=world.headers("operator_a"))
    assert own.status_code == 403  # an operator holds no approver rights
    issued = client.post(f"{URL}/{pending['id']}/approve", headers=world.headers("approver_a"))
    assert issued.status_code == 200, issued.text
    assert (issued.json()["state"], issued.json()["stations"]) == ("issued", 1)
    assert issued.json()["repeat_count"] == 2
    [held] = _manifest(client, token).alerts
    assert (held.id, held.layer, held.action) == (pending["identifier"], "priority", "play")
    assert held.chime_sha256 is None and held.volume == 70
    assert held.repeat is not None and held.repeat.count == 2
    assert held.sha256 in _manifest(client, token).file_hashes()
    detail = client.get(f"{URL}/{pending['id']}", headers=world.headers("supervisor_a")).json()
    assert [(d["station_id"], d["stage"]) for d in detail["deliveries"]] == [(station_id, "none")]
    # Not an emergency: the alerts' list leaves it out, and the CAP view never shows it.
    alerts = client.get("/api/v1/alerts", headers=world.headers("operator_a")).json()
    assert alerts["count"] == 0
    assert _audit(world) == ["broadcast.create", "broadcast.issue"]


def test_nobody_issues_their_own_order_but_one_person_with_both_rights_may_at_once(
    client: TestClient, world: World, duty: str
) -> None:
    enrolled_station(world, "A")
    waiting = order(client, world, duty)
    refused = client.post(f"{URL}/{waiting['id']}/approve", headers=world.headers(duty))
    assert refused.status_code == 403 and "four eyes" in refused.text
    at_once = order(client, world, duty, issue_now=True)
    assert (at_once["state"], at_once["stations"]) == ("issued", 1)
    assert _audit(world) == [
        "broadcast.create",
        "broadcast.create",
        "broadcast.issue_single_confirmation",
    ]


def test_refusals_name_what_was_wrong_and_store_nothing(client: TestClient, world: World) -> None:
    elsewhere = {"target_area_ids": [world.areas["B"]]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        (elsewhere, 403, "outside your roles' scope"),
        ({"issue_now": True}, 403, "approver rights"),
        ({"action": "stop", "content_id": 1}, 422, "plays nothing"),
        ({"target_area_ids": []}, 422, "at least one target"),
        ({"minutes": 0, "action": "stop"}, 422, "minutes"),
        ({"repeat_count": 21}, 422, "repeat_count"),
    ]
    for fields, status, words in cases:
        answer = order(client, world, "operator_a", status=status, **fields)
        assert words in str(answer), (fields, answer)
    draft = make_item(world, "A", kind=ContentKind.audio, status=ContentStatus.draft)
    answer = order(client, world, "operator_a", status=422, content_id=draft)
    assert "approved audio only" in str(answer)
    listed = client.get(URL, headers=world.headers("operator_a")).json()
    assert listed["count"] == 0


def test_a_stop_takes_over_the_plays_it_silences_and_lifting_it_gives_the_air_back(
    client: TestClient, world: World, duty: str
) -> None:
    _, in_a = synced(world, "A")
    world.add_user("duty_p", area="P", roles={Role.operator: "P", Role.approver: "P"})
    make_station(world, "B")
    here = order(client, world, duty, issue_now=True)
    wider = order(
        client,
        world,
        "duty_p",
        issue_now=True,
        target_area_ids=[world.areas["A"], world.areas["B"]],
    )
    stop = order(client, world, duty, action="stop", minutes=30, issue_now=True)
    assert stop["ends"] == [here["identifier"]]  # the wider play goes on in commune B
    shown = {
        o["id"]: o["state"] for o in client.get(URL, headers=world.headers(duty)).json()["data"]
    }
    assert shown[here["id"]] == "superseded" and shown[wider["id"]] == "issued"
    held = {(a.id, a.action) for a in _manifest(client, in_a).alerts}
    assert held == {(wider["identifier"], "play"), (stop["identifier"], "stop")}
    with client.websocket_connect(EVENTS_PATH, headers={"Authorization": f"Bearer {in_a}"}) as ws:
        ws.receive_json()  # the greeting
        lifted = client.post(f"{URL}/{stop['id']}/end", headers=world.headers(duty))
        assert lifted.status_code == 200 and lifted.json()["state"] == "cancelled"
        pushed = ws.receive_json()
    assert (pushed["msg_type"], pushed["references"]) == ("Cancel", [stop["identifier"]])
    assert {a.id for a in _manifest(client, in_a).alerts} == {wider["identifier"]}
    again = client.post(f"{URL}/{stop['id']}/end", headers=world.headers(duty))
    assert again.status_code == 409 and "not on the air" in again.text
    assert _audit(world)[-1] == "broadcast.end"


def test_orders_outside_ones_scope_are_neither_listed_nor_readable_nor_ended(
    client: TestClient, world: World, duty: str
) -> None:
    enrolled_station(world, "A")
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    on_air = order(client, world, duty, issue_now=True)
    assert client.get(URL, headers=world.headers("operator_b")).json()["count"] == 0
    read = client.get(f"{URL}/{on_air['id']}", headers=world.headers("operator_b"))
    ended = client.post(f"{URL}/{on_air['id']}/end", headers=world.headers("operator_b"))
    assert (read.status_code, ended.status_code) == (403, 403)
    assert client.get(f"{URL}/{on_air['id']}", headers=world.headers(duty)).json()["state"] == (
        "issued"
    )
