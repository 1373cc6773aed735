"""Agent routes refuse: no token, a forged token, a revoked token, a user's token, and
another station's files; the event channel refuses the same, with the same 401."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from stations.protocol import (
    ASRUN_PATH,
    EVENTS_PATH,
    FILES_PATH,
    HEARTBEAT_PATH,
    MANIFEST_PATH,
    ManifestEvent,
    RevokedEvent,
    read_server_event,
)
from tests.stations.fleet.factories import enrolled_station, record
from tests.stations.fleet.scenario import keeper_for, schedule, stored_audio
from tests.world import World

BEAT = {"clock_offset_ms": 0, "agent_version": "0.1.0", "uptime_s": 1}


def _calls(sha: str) -> list[tuple[str, str, object]]:
    return [
        ("GET", MANIFEST_PATH, None),
        ("GET", f"{FILES_PATH}/{sha}", None),
        ("POST", HEARTBEAT_PATH, BEAT),
        ("POST", ASRUN_PATH, [record().model_dump(mode="json")]),
    ]


def _send(client: TestClient, method: str, path: str, body: object, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.request(method, path, json=body, headers=headers).status_code


@pytest.fixture
def synced(client: TestClient, world: World) -> tuple[str, str]:
    """A station's token and the sha256 of a file its manifest names."""
    audio = stored_audio(world, "A", client.app.state.content.storage)
    schedule(world, "A", audio)
    _, token = enrolled_station(world, "A")
    keeper_for(world).tick()
    return token, audio.sha256


def test_the_station_itself_gets_through(client: TestClient, synced: tuple[str, str]) -> None:
    token, sha = synced
    assert [_send(client, m, p, b, token) for m, p, b in _calls(sha)] == [200, 200, 200, 200]


@pytest.mark.parametrize("token", [None, "forged-token", ""], ids=["none", "forged", "empty"])
def test_no_or_forged_token_is_refused(
    client: TestClient, synced: tuple[str, str], token: str | None
) -> None:
    _, sha = synced
    for method, path, body in _calls(sha):
        assert _send(client, method, path, body, token) == 401, path


def test_a_users_token_is_not_a_station_token(
    client: TestClient, world: World, synced: tuple[str, str]
) -> None:
    _, sha = synced
    user_token = world.token("admin_a")
    for method, path, body in _calls(sha):
        assert _send(client, method, path, body, user_token) == 401, path


def test_a_revoked_station_is_refused_everywhere(
    client: TestClient, world: World, synced: tuple[str, str]
) -> None:
    token, sha = synced
    station = client.get(MANIFEST_PATH, headers={"Authorization": f"Bearer {token}"}).json()
    revoked = client.post(
        f"/api/v1/stations/{station['station_id']}/revoke", headers=world.headers("admin_a")
    )
    assert revoked.status_code == 204
    for method, path, body in _calls(sha):
        assert _send(client, method, path, body, token) == 401, path
    shown = client.get(
        f"/api/v1/stations/{station['station_id']}", headers=world.headers("admin_a")
    )
    assert shown.json()["status"] == "revoked"
    again = client.post(
        f"/api/v1/stations/{station['station_id']}/revoke", headers=world.headers("admin_a")
    )
    assert again.status_code == 409


def test_another_stations_files_are_refused(
    client: TestClient, world: World, synced: tuple[str, str]
) -> None:
    _, sha = synced
    # A station in commune B: its manifest does not name commune A's audio.
    theirs = stored_audio(world, "B", client.app.state.content.storage)
    schedule(world, "B", theirs)
    _, other_token = enrolled_station(world, "B")
    keeper_for(world).tick()
    headers = {"Authorization": f"Bearer {other_token}"}
    assert client.get(f"{FILES_PATH}/{theirs.sha256}", headers=headers).status_code == 200
    refused = client.get(f"{FILES_PATH}/{sha}", headers=headers)
    assert refused.status_code == 404 and "names no file" in refused.json()["detail"]
    assert client.get(f"{FILES_PATH}/../../etc/passwd", headers=headers).status_code == 404
    assert client.get(f"{FILES_PATH}/{'A' * 64}", headers=headers).status_code == 422


@pytest.mark.parametrize(
    ("token", "detail"),
    [(None, "no station token"), ("forged-token", "unknown or revoked"), ("", "no station token")],
    ids=["none", "forged", "empty"],
)
def test_the_event_channel_refuses_without_a_station_token_with_401(
    client: TestClient, synced: tuple[str, str], token: str | None, detail: str
) -> None:
    """As every agent route answers (README): 401, the same words and WWW-Authenticate."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect(EVENTS_PATH, headers=headers),
    ):
        pass
    answer = refused.value
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert detail in answer.json()["detail"]
    http = client.get(MANIFEST_PATH, headers=headers)
    assert (http.status_code, http.json()) == (401, answer.json())


def test_the_event_channel_greets_with_the_current_version(
    client: TestClient, synced: tuple[str, str]
) -> None:
    token, _ = synced
    headers = {"Authorization": f"Bearer {token}"}
    with client.websocket_connect(EVENTS_PATH, headers=headers) as socket:
        greeting = read_server_event(socket.receive_text())
    assert isinstance(greeting, ManifestEvent) and greeting.version == 1
    assert greeting.build_id is not None and len(greeting.build_id) == 64


def test_revoking_closes_the_open_event_channel(
    client: TestClient, world: World, synced: tuple[str, str]
) -> None:
    token, _ = synced
    station_id = client.get(MANIFEST_PATH, headers={"Authorization": f"Bearer {token}"}).json()[
        "station_id"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    with client.websocket_connect(EVENTS_PATH, headers=headers) as socket:
        socket.receive_json()  # the greeting
        revoked = client.post(
            f"/api/v1/stations/{station_id}/revoke", headers=world.headers("admin_a")
        )
        assert revoked.status_code == 204
        told = socket.receive_text()
        assert read_server_event(told) == RevokedEvent(type="revoked")
        assert json.loads(told) == {"type": "revoked"}  # what agents before the model read
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 1008
