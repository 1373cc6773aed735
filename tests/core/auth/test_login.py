"""Sign-in: tokens, expiry, logout, and the throttle on repeated failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import make_settings
from tests.world import PASSWORD, World

LOGIN = "/api/v1/auth/login"


def _login(client: TestClient, username: str, password: str = PASSWORD) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post(LOGIN, json={"username": username, "password": password})
    return response.status_code, response.json()


def test_login_gives_a_token_that_works(client: TestClient, world: World) -> None:
    status, body = _login(client, "operator_a")
    assert status == 200, body
    assert body["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "operator_a"
    assert [r["role"] for r in me.json()["roles"]] == ["operator"]


def test_failed_login_does_not_say_which_part_was_wrong(client: TestClient, world: World) -> None:
    wrong_password = _login(client, "operator_a", "not the password")
    no_such_user = _login(client, "nobody_here", "not the password")
    assert wrong_password[0] == no_such_user[0] == 401
    assert wrong_password[1] == no_such_user[1] == {"detail": "wrong username or password"}


def test_token_stops_working_after_logout(client: TestClient, world: World) -> None:
    _, body = _login(client, "admin_a")
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


def test_token_expires(database_url: str, tmp_path: Path, world: World) -> None:
    app = create_app(make_settings(database_url, tmp_path, token_ttl_minutes=30))
    with (
        time_machine.travel(datetime(2026, 11, 28, 5, 0, tzinfo=UTC), tick=False) as traveller,
        TestClient(app) as client,
    ):
        _, body = _login(client, "supervisor_a")
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        traveller.shift(timedelta(minutes=29))
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
        traveller.shift(timedelta(minutes=2))
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    app.state.database.dispose()


def test_repeated_failures_lock_the_user_out_for_a_while(
    database_url: str, tmp_path: Path, world: World
) -> None:
    app = create_app(
        make_settings(database_url, tmp_path, login_max_failures=3, login_lockout_minutes=10)
    )
    with (
        time_machine.travel(datetime(2026, 11, 28, 5, 0, tzinfo=UTC), tick=False) as traveller,
        TestClient(app) as client,
    ):
        for _ in range(3):
            assert _login(client, "approver_a", "guess")[0] == 401
        refused = client.post(LOGIN, json={"username": "approver_a", "password": PASSWORD})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "600"
        assert "10 minute" in refused.json()["detail"]
        # Another user from the same address is not affected.
        assert _login(client, "operator_a")[0] == 200
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert _login(client, "approver_a")[0] == 200
    app.state.database.dispose()


def test_deactivated_user_cannot_sign_in_and_loses_tokens(client: TestClient, world: World) -> None:
    _, body = _login(client, "plain_a")
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    plain_id = world.users["plain_a"]
    response = client.delete(f"/api/v1/users/{plain_id}", headers=world.headers("admin_a"))
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _login(client, "plain_a")[0] == 401
