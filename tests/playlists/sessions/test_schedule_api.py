"""Sessions, policy and the queue through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from core.auth.models import Role
from playlists.content.models import ContentStatus
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_session
from tests.stations.factories import make_group, make_station
from tests.world import World


def _session_body(world: World, **fields: Any) -> dict[str, Any]:
    area = world.areas["A"]
    return {
        "name": "Phiên sáng",
        "area_id": area,
        "target_area_ids": [area],
        "start": "05:30",
        "max_length_s": 1800,
        "recurrence": {"repeat": "weekdays", "weekdays": [0, 2, 4]},
    } | fields


def test_operator_creates_and_changes_a_session(client: TestClient, world: World) -> None:
    operator = world.headers("operator_a")
    group = make_group(world, "A", [make_station(world, "A1")])
    created = client.post(
        "/api/v1/sessions", headers=operator, json=_session_body(world, target_group_ids=[group])
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["recurrence"]["weekdays"] == [0, 2, 4]
    assert session["target_group_ids"] == [group]
    assert session["after_cut"] == "resume"  # a cut bulletin is joined where the clock says
    changed = client.patch(
        f"/api/v1/sessions/{session['id']}",
        headers=operator,
        json={"target_area_ids": [], "start": "17:00", "after_cut": "replay"},
    ).json()
    assert changed["target_area_ids"] == [] and changed["start"] == "17:00:00"
    assert changed["after_cut"] == "replay"
    wrong = client.patch(
        f"/api/v1/sessions/{session['id']}", headers=operator, json={"after_cut": "later"}
    )
    assert wrong.status_code == 422 and "after_cut" in wrong.text
    emptied = client.patch(
        f"/api/v1/sessions/{session['id']}", headers=operator, json={"target_group_ids": []}
    )
    assert emptied.status_code == 422 and "target" in emptied.json()["detail"]


def test_session_targets_must_be_in_scope(client: TestClient, world: World) -> None:
    operator = world.headers("operator_a")
    outside = client.post(
        "/api/v1/sessions",
        headers=operator,
        json=_session_body(world, target_area_ids=[world.areas["B"]]),
    )
    assert outside.status_code == 403
    their_group = make_group(world, "B")
    group = client.post(
        "/api/v1/sessions",
        headers=operator,
        json=_session_body(world, target_group_ids=[their_group]),
    )
    assert group.status_code == 403


def test_queue_takes_only_approved_content_valid_that_day(client: TestClient, world: World) -> None:
    operator = world.headers("operator_a")
    session_id = make_session(world, "A")
    draft = make_item(world, "A")
    refused = client.post(
        "/api/v1/queue",
        headers=operator,
        json={
            "content_id": draft,
            "session_id": session_id,
            "at": "05:31",
            "relay_length_s": 60,
            "recurrence": {"repeat": "daily"},
        },
    )
    assert refused.status_code == 422
    assert "only approved content" in refused.json()["detail"]
    approved = make_item(world, "A", status=ContentStatus.approved)
    with world.database.session(write=True) as session:
        from datetime import UTC, datetime

        from playlists.content.crud import get_item

        item = get_item(session=session, item_id=approved)
        item.valid_until = datetime(2026, 12, 1, tzinfo=UTC)
        session.commit()
    late = client.post(
        "/api/v1/queue",
        headers=operator,
        json={
            "content_id": approved,
            "session_id": session_id,
            "at": "05:31",
            "relay_length_s": 60,
            "recurrence": {"repeat": "once", "start_date": "2026-12-05"},
        },
    )
    assert late.status_code == 422 and "not valid on 2026-12-05" in late.json()["detail"]
    ok = client.post(
        "/api/v1/queue",
        headers=operator,
        json={
            "content_id": approved,
            "session_id": session_id,
            "at": "05:31",
            "relay_length_s": 60,
            "recurrence": {"repeat": "once", "start_date": "2026-11-30"},
        },
    )
    assert ok.status_code == 201, ok.text
    theirs = make_item(world, "B", status=ContentStatus.approved, by="admin_p")
    outside = client.post(
        "/api/v1/queue",
        headers=operator,
        json={"content_id": theirs, "session_id": session_id, "recurrence": {"repeat": "daily"}},
    )
    assert outside.status_code == 403


def test_policy_is_inherited_and_follows_the_division_type(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin_p")
    with world.database.session(write=True) as session:
        from core.areas.models import Area

        ward = session.get(Area, world.areas["A"])
        assert ward is not None
        ward.division_type = "phường"
        session.commit()
    set_province = client.put(
        f"/api/v1/areas/{world.areas['P']}/policy",
        headers=admin,
        json={"quiet_hours": [{"start": "22:00", "end": "05:00"}], "max_session_length_s": 1200},
    )
    assert set_province.status_code == 200
    village = client.get(
        f"/api/v1/areas/{world.areas['A1']}/policy", headers=world.headers("operator_a")
    ).json()
    effective = village["effective"]
    assert effective["quiet_hours"] == [{"start": "22:00:00", "end": "05:00:00"}]
    assert effective["max_session_length_s"] == 1200  # the province overrides the ward default
    assert effective["max_sessions_per_day"] == 2 and effective["days_off"] == [5, 6]
    assert village["own"] == dict.fromkeys(village["own"])
    world.add_user("admin_a1", area="A1", roles={Role.admin: "A1"})
    own = client.put(
        f"/api/v1/areas/{world.areas['A1']}/policy",
        headers=world.headers("admin_a1"),
        json={"days_off": []},
    ).json()
    assert own["effective"]["days_off"] == []
