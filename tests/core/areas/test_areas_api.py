"""The area tree through the API: create, read, move subtrees, delete, scope."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.world import World


def test_child_inherits_timezone_and_gets_a_path(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/areas",
        json={"parent_id": world.areas["A"], "name": "Thôn Đông", "level": "village"},
        headers=world.headers("admin_a"),
    )
    assert response.status_code == 201, response.text
    area = response.json()
    assert area["timezone"] == "Asia/Ho_Chi_Minh"
    assert (
        area["path"]
        == f"/{world.areas['Việt Nam']}/{world.areas['P']}/{world.areas['A']}/{area['id']}/"
    )


def test_list_shows_only_the_callers_subtree(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/areas", headers=world.headers("operator_a"))
    assert response.status_code == 200
    names = {a["name"] for a in response.json()["data"]}
    assert names == {"A", "A1"}
    wide = client.get("/api/v1/areas", headers=world.headers("admin_p")).json()
    assert {a["name"] for a in wide["data"]} == {"P", "A", "B", "A1", "B1"}
    assert wide["count"] == 5


def test_list_pages(client: TestClient, world: World) -> None:
    headers = world.headers("admin_p")
    first = client.get("/api/v1/areas?limit=2", headers=headers).json()
    second = client.get("/api/v1/areas?limit=2&offset=2", headers=headers).json()
    assert first["count"] == second["count"] == 5
    assert len(first["data"]) == len(second["data"]) == 2
    assert not {a["id"] for a in first["data"]} & {a["id"] for a in second["data"]}


def test_commune_admin_cannot_change_their_own_commune(client: TestClient, world: World) -> None:
    """An admin administers below their area: renaming or deleting it is for the level above."""
    headers = world.headers("admin_a")
    response = client.patch(
        f"/api/v1/areas/{world.areas['A']}", json={"name": "Mine"}, headers=headers
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/areas/{world.areas['A']}", headers=headers).status_code == 200
    province = world.headers("admin_p")
    renamed = client.patch(
        f"/api/v1/areas/{world.areas['A']}", json={"name": "Xã An"}, headers=province
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Xã An"


def test_moving_an_area_moves_its_subtree_and_scope(client: TestClient, world: World) -> None:
    headers = world.headers("admin_p")
    moved = client.patch(
        f"/api/v1/areas/{world.areas['A1']}", json={"parent_id": world.areas["B"]}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["path"].endswith(f"/{world.areas['B']}/{world.areas['A1']}/")
    # A village under A1 follows it.
    child = client.post(
        "/api/v1/areas",
        json={"parent_id": world.areas["A1"], "name": "Xóm 1", "level": "hamlet"},
        headers=headers,
    ).json()
    client.patch(
        f"/api/v1/areas/{world.areas['A1']}", json={"parent_id": world.areas["A"]}, headers=headers
    )
    child_now = client.get(f"/api/v1/areas/{child['id']}", headers=headers).json()
    assert child_now["path"] == (
        f"/{world.areas['Việt Nam']}/{world.areas['P']}/{world.areas['A']}/"
        f"{world.areas['A1']}/{child['id']}/"
    )
    # The operator of A sees it again, the operator of A does not see B's areas.
    visible = client.get("/api/v1/areas", headers=world.headers("operator_a")).json()
    assert child["id"] in {a["id"] for a in visible["data"]}


def test_commune_admin_cannot_move_an_area_out_of_their_scope(
    client: TestClient, world: World
) -> None:
    response = client.patch(
        f"/api/v1/areas/{world.areas['A1']}",
        json={"parent_id": world.areas["B"]},
        headers=world.headers("admin_a"),
    )
    assert response.status_code == 403


def test_delete_empty_area_and_audit_it(client: TestClient, world: World) -> None:
    headers = world.headers("admin_a")
    created = client.post(
        "/api/v1/areas",
        json={"parent_id": world.areas["A"], "name": "Tạm", "level": "village"},
        headers=headers,
    ).json()
    assert client.delete(f"/api/v1/areas/{created['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/areas/{created['id']}", headers=headers).status_code == 404
    events = client.get(
        f"/api/v1/audit?object_type=area&object_id={created['id']}",
        headers=world.headers("supervisor_a"),
    ).json()
    # The history outlives the area and stays readable in the parent's scope.
    assert [(e["action"], e["actor_name"]) for e in events["data"]] == [
        ("area.delete", "admin_a"),
        ("area.create", "admin_a"),
    ]
    assert events["data"][0]["before"]["name"] == "Tạm"
    assert events["data"][0]["after"] is None


def test_area_with_users_cannot_be_deleted(client: TestClient, world: World) -> None:
    response = client.delete(f"/api/v1/areas/{world.areas['A1']}", headers=world.headers("admin_p"))
    assert response.status_code == 409
    assert "users belong" in response.json()["detail"]


def test_history_of_a_deleted_area_stays_readable(client: TestClient, world: World) -> None:
    admin = world.headers("admin_p")
    commune = client.post(
        "/api/v1/areas",
        json={"parent_id": world.areas["P"], "name": "Xã Cũ", "level": "commune"},
        headers=admin,
    ).json()
    user = client.post(
        "/api/v1/users",
        json={"username": "old.timer", "password": "long enough", "area_id": commune["id"]},
        headers=admin,
    ).json()
    moved = client.patch(
        f"/api/v1/users/{user['id']}", json={"area_id": world.areas["A"]}, headers=admin
    )
    assert moved.status_code == 200
    assert client.delete(f"/api/v1/areas/{commune['id']}", headers=admin).status_code == 204
    events = client.get(
        f"/api/v1/audit?object_type=user&object_id={user['id']}", headers=admin
    ).json()
    assert [e["action"] for e in events["data"]] == ["user.update", "user.create"]
