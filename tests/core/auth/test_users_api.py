"""Users and roles through the API: scope limits what an admin can grant."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.world import PASSWORD, World


def test_admin_creates_a_user_with_roles_who_can_sign_in(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "username": "ba.nguyen",
            "full_name": "Nguyễn Văn Ba",
            "password": "mật khẩu dài",
            "area_id": world.areas["A1"],
            "roles": [{"role": "operator", "area_id": world.areas["A1"]}],
        },
        headers=world.headers("admin_a"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert "password" not in body and "password_hash" not in body
    assert [(r["role"], r["area_id"]) for r in body["roles"]] == [("operator", world.areas["A1"])]
    login = client.post(
        "/api/v1/auth/login", json={"username": "ba.nguyen", "password": "mật khẩu dài"}
    )
    assert login.status_code == 200


def test_admin_cannot_grant_a_role_above_their_scope(client: TestClient, world: World) -> None:
    plain = world.users["plain_a"]
    response = client.post(
        f"/api/v1/users/{plain}/roles",
        json={"role": "admin", "area_id": world.areas["P"]},
        headers=world.headers("admin_a"),
    )
    assert response.status_code == 403
    me = client.get(f"/api/v1/users/{plain}", headers=world.headers("admin_a")).json()
    assert me["roles"] == []


def test_grant_then_revoke_a_role_changes_what_the_user_may_do(
    client: TestClient, world: World
) -> None:
    admin = world.headers("admin_a")
    plain = world.users["plain_a"]
    user_headers = world.headers("plain_a")
    assert client.get("/api/v1/areas", headers=user_headers).status_code == 403
    grant = client.post(
        f"/api/v1/users/{plain}/roles",
        json={"role": "supervisor", "area_id": world.areas["A"]},
        headers=admin,
    )
    assert grant.status_code == 201
    assert client.get("/api/v1/areas", headers=user_headers).status_code == 200
    revoke = client.delete(f"/api/v1/users/{plain}/roles/{grant.json()['id']}", headers=admin)
    assert revoke.status_code == 204
    assert client.get("/api/v1/areas", headers=user_headers).status_code == 403


def test_password_change_ends_existing_sessions(client: TestClient, world: World) -> None:
    old = world.headers("operator_a")
    response = client.patch(
        f"/api/v1/users/{world.users['operator_a']}",
        json={"password": "a brand new one"},
        headers=world.headers("admin_a"),
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me", headers=old).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "operator_a", "password": PASSWORD}
        ).status_code
        == 401
    )
    audit = client.get(
        f"/api/v1/audit?object_type=user&object_id={world.users['operator_a']}",
        headers=world.headers("supervisor_a"),
    ).json()
    newest = audit["data"][0]
    assert newest["action"] == "user.update"
    assert newest["after"]["password"] == "changed"
    assert "hash" not in str(newest["after"]).replace('"hash"', "")  # no password hash in the trail


def test_admin_cannot_deactivate_themselves(client: TestClient, world: World) -> None:
    response = client.delete(
        f"/api/v1/users/{world.users['admin_a']}", headers=world.headers("admin_a")
    )
    assert response.status_code == 422
    assert "your own account" in response.json()["detail"]


def test_supervisor_lists_users_in_scope_only(client: TestClient, world: World) -> None:
    listed = client.get("/api/v1/users", headers=world.headers("supervisor_a")).json()
    names = {u["username"] for u in listed["data"]}
    assert "plain_a" in names and "plain_b" not in names and "admin_p" not in names


def test_admin_cannot_take_over_an_account_that_reaches_further(
    client: TestClient, world: World
) -> None:
    """A user homed in A1 but holding admin of the whole province is beyond admin_a."""
    from core.auth.models import Role

    boss = world.add_user("boss", area="A1", roles={Role.admin: "P"})
    admin_a = world.headers("admin_a")
    attempts = [
        client.patch(f"/api/v1/users/{boss}", json={"password": "hijacked-now"}, headers=admin_a),
        client.delete(f"/api/v1/users/{boss}", headers=admin_a),
        client.post(
            f"/api/v1/users/{boss}/roles",
            json={"role": "operator", "area_id": world.areas["A1"]},
            headers=admin_a,
        ),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "boss", "password": PASSWORD}
        ).status_code
        == 200
    )
    # The province admin may.
    allowed = client.patch(
        f"/api/v1/users/{boss}", json={"full_name": "Sếp"}, headers=world.headers("admin_p")
    )
    assert allowed.status_code == 200


def test_admin_cannot_lock_themselves_out(client: TestClient, world: World) -> None:
    me = world.users["admin_a"]
    headers = world.headers("admin_a")
    patch = client.patch(f"/api/v1/users/{me}", json={"is_active": False}, headers=headers)
    assert patch.status_code == 422
    assert "is_active" in patch.json()["detail"]
    role_id = client.get(f"/api/v1/users/{me}", headers=headers).json()["roles"][0]["id"]
    revoke = client.delete(f"/api/v1/users/{me}/roles/{role_id}", headers=headers)
    assert revoke.status_code == 422
    assert "your own admin role" in revoke.json()["detail"]
