"""Bad input to each route family: a 4xx that names what was wrong, and nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import Database
from playlists.content.models import ContentKind, ContentStatus
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_session
from tests.stations.factories import make_station
from tests.world import World

TABLES = (
    "broadcast_session",
    "session_target",
    "queue_entry",
    "area_policy",
    "station",
    "station_group",
    "station_group_member",
    "area",
    "user",
    "role_assignment",
    "auth_token",
    "audit_event",
    "login_throttle",
    "content_item",
    "station_enrollment",
    "station_agent",
    "asrun",
)


@dataclass(frozen=True)
class Bad:
    method: str
    path: Callable[[World], str]
    status: int
    names: str  # the field (or phrase) the error must name
    body: Any = None  # JSON-encoded unless it is bytes
    signed_in: bool = True
    who: str = "admin_p"
    # multipart form fields and files, instead of a JSON body
    form: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


def _p(path: str) -> Callable[[World], str]:
    return lambda _w: path


def _area(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/areas/{w.areas[name]}{suffix}"


def _user(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/api/v1/users/{w.users[name]}{suffix}"


NEW_AREA = {"parent_id": 2, "name": "Xã Mới", "level": "commune"}
TTS = {"title": "Tin", "language": "vi", "text": "Xin chào.", "area_id": 4}


def _item(kind: str = "relay", suffix: str = "", submitted: bool = False) -> Callable[[World], str]:
    def path(world: World) -> str:
        status = ContentStatus.submitted if submitted else ContentStatus.draft
        item = make_item(world, "A", kind=ContentKind(kind), status=status)
        return f"/api/v1/content/{item}{suffix}"

    return path


SESSION = {
    "name": "Sáng",
    "area_id": 4,
    "target_area_ids": [4],
    "start": "05:30",
    "max_length_s": 1800,
    "recurrence": {"repeat": "daily"},
}

NEW_USER = {"username": "newbie", "password": "long enough", "area_id": 4}

CASES: dict[str, Bad] = {
    # auth
    "login-malformed": Bad(
        "POST", _p("/api/v1/auth/login"), 422, "body", b'{"username": "a",', signed_in=False
    ),
    "login-unknown": Bad(
        "POST",
        _p("/api/v1/auth/login"),
        422,
        "remember_me",
        {"username": "a", "password": "b", "remember_me": True},
        signed_in=False,
    ),
    "login-type": Bad(
        "POST",
        _p("/api/v1/auth/login"),
        422,
        "username",
        {"username": ["a"], "password": "b"},
        signed_in=False,
    ),
    "login-missing": Bad(
        "POST", _p("/api/v1/auth/login"), 422, "password", {"username": "a"}, signed_in=False
    ),
    "login-oversized": Bad(
        "POST",
        _p("/api/v1/auth/login"),
        413,
        "too large",
        {"username": "a", "password": "x" * 2_000_000},
        signed_in=False,
    ),
    # areas
    "area-malformed": Bad("POST", _p("/api/v1/areas"), 422, "body", b"{parent_id: 2}"),
    "area-unknown": Bad("POST", _p("/api/v1/areas"), 422, "colour", {**NEW_AREA, "colour": "red"}),
    "area-type": Bad("POST", _p("/api/v1/areas"), 422, "parent_id", {**NEW_AREA, "parent_id": "P"}),
    "area-empty-name": Bad("POST", _p("/api/v1/areas"), 422, "name", {**NEW_AREA, "name": ""}),
    "area-timezone": Bad(
        "POST", _p("/api/v1/areas"), 422, "timezone", {**NEW_AREA, "timezone": "Asia/Atlantis"}
    ),
    "area-no-parent": Bad(
        "POST", _p("/api/v1/areas"), 422, "parent_id", {**NEW_AREA, "parent_id": 999}
    ),
    "area-oversized": Bad(
        "POST", _p("/api/v1/areas"), 413, "too large", {**NEW_AREA, "name": "x" * 1_100_000}
    ),
    "area-not-json-array": Bad("POST", _p("/api/v1/areas"), 422, "body", [NEW_AREA]),
    "area-duplicate-code": Bad(
        "PATCH", _area("A1"), 409, "code", None
    ),  # body filled in by the test: B1's code
    "area-path-type": Bad("GET", _p("/api/v1/areas/abc"), 422, "area_id"),
    "area-query-limit": Bad("GET", _p("/api/v1/areas?limit=100000"), 422, "limit"),
    "area-move-under-itself": Bad("PATCH", _area("A"), 422, "parent_id", None),
    "area-delete-nonempty": Bad("DELETE", _area("A"), 409, "still has areas"),
    "area-patch-unknown": Bad("PATCH", _area("A1"), 422, "parent", {"parent": 3}),
    # users
    "user-unknown": Bad(
        "POST", _p("/api/v1/users"), 422, "is_admin", {**NEW_USER, "is_admin": True}
    ),
    "user-bad-name": Bad(
        "POST", _p("/api/v1/users"), 422, "username", {**NEW_USER, "username": "Ông Ba"}
    ),
    "user-short-password": Bad(
        "POST", _p("/api/v1/users"), 422, "password", {**NEW_USER, "password": "123"}
    ),
    "user-no-area": Bad("POST", _p("/api/v1/users"), 422, "area_id", {**NEW_USER, "area_id": 999}),
    "user-bad-role": Bad(
        "POST",
        _p("/api/v1/users"),
        422,
        "roles.0.role",
        {**NEW_USER, "roles": [{"role": "king", "area_id": 4}]},
    ),
    "user-duplicate": Bad(
        "POST", _p("/api/v1/users"), 409, "taken", {**NEW_USER, "username": "operator_a"}
    ),
    "user-patch-null": Bad("PATCH", _user("plain_a"), 422, "is_active", {"is_active": None}),
    "user-patch-type": Bad("PATCH", _user("plain_a"), 422, "is_active", {"is_active": "maybe"}),
    "user-malformed": Bad("PATCH", _user("plain_a"), 422, "body", b"\xff\xfe"),
    "role-bad": Bad(
        "POST", _user("plain_a", "/roles"), 422, "role", {"role": "mayor", "area_id": 4}
    ),
    "role-duplicate": Bad(
        "POST",
        _user("operator_a", "/roles"),
        409,
        "already holds",
        {"role": "operator", "area_id": 4},
    ),
    "role-missing": Bad("DELETE", _user("plain_a", "/roles/9999"), 404, "no role assignment"),
    "area-huge-id": Bad("GET", _p(f"/api/v1/areas/{2**70}"), 422, "area_id"),
    "area-huge-query": Bad("GET", _p(f"/api/v1/areas?parent_id={2**70}"), 422, "parent_id"),
    "area-huge-offset": Bad("GET", _p(f"/api/v1/areas?offset={2**70}"), 422, "offset"),
    "area-huge-body": Bad(
        "POST", _p("/api/v1/areas"), 422, "parent_id", {**NEW_AREA, "parent_id": 2**70}
    ),
    "area-null-name": Bad("PATCH", _area("A1"), 422, "name", {"name": None}),
    "area-null-parent": Bad("PATCH", _area("A1"), 422, "parent_id", {"parent_id": None}),
    "area-nul-char": Bad("POST", _p("/api/v1/areas"), 422, "name", {**NEW_AREA, "name": "X\u0000"}),
    "login-nul-char": Bad(
        "POST",
        _p("/api/v1/auth/login"),
        422,
        "username",
        {"username": "a\u0000", "password": "b"},
        signed_in=False,
    ),
    "user-null-name": Bad("PATCH", _user("plain_a"), 422, "full_name", {"full_name": None}),
    "role-huge-area": Bad(
        "POST", _user("plain_a", "/roles"), 422, "area_id", {"role": "operator", "area_id": 2**40}
    ),
    "role-huge-path": Bad("DELETE", _user("plain_a", f"/roles/{2**70}"), 422, "assignment_id"),
    # content
    "tts-unknown": Bad(
        "POST", _p("/api/v1/content/tts"), 422, "speed", {**TTS, "speed": 2}, who="operator_a"
    ),
    "tts-type": Bad(
        "POST", _p("/api/v1/content/tts"), 422, "area_id", {**TTS, "area_id": "A"}, who="operator_a"
    ),
    "tts-language": Bad(
        "POST",
        _p("/api/v1/content/tts"),
        422,
        "language",
        {**TTS, "language": "Tiếng Việt"},
        who="operator_a",
    ),
    "tts-no-text": Bad(
        "POST", _p("/api/v1/content/tts"), 422, "text", {**TTS, "text": ""}, who="operator_a"
    ),
    "tts-tier": Bad(
        "POST", _p("/api/v1/content/tts"), 422, "tier", {**TTS, "tier": "urgent"}, who="operator_a"
    ),
    "relay-url": Bad(
        "POST",
        _p("/api/v1/content/relay"),
        422,
        "stream_url",
        {"title": "x", "area_id": 4, "stream_url": "ftp://radio/x"},
        who="operator_a",
    ),
    "content-null-title": Bad("PATCH", _item(), 422, "title", {"title": None}, who="operator_a"),
    "content-stream-on-tts": Bad(
        "PATCH", _item("audio"), 422, "stream_url", {"stream_url": "http://x/y"}, who="operator_a"
    ),
    "content-huge-id": Bad("GET", _p(f"/api/v1/content/{2**70}"), 422, "item_id", who="operator_a"),
    "content-list-status": Bad(
        "GET", _p("/api/v1/content?status=ready"), 422, "status", who="operator_a"
    ),
    "reject-no-reason": Bad(
        "POST", _item("relay", "/reject", submitted=True), 422, "reason", {}, who="approver_a"
    ),
    "upload-no-file": Bad(
        "POST",
        _p("/api/v1/content/upload"),
        422,
        "file",
        form={"title": "x", "area_id": "{A}"},
        who="operator_a",
    ),
    "upload-unknown-field": Bad(
        "POST",
        _p("/api/v1/content/upload"),
        422,
        "colour",
        form={"title": "x", "area_id": "{A}", "colour": "red"},
        files={"file": ("a.wav", b"RIFF", "audio/wav")},
        who="operator_a",
    ),
    "upload-no-title": Bad(
        "POST",
        _p("/api/v1/content/upload"),
        422,
        "title",
        form={"area_id": "{A}"},
        files={"file": ("a.wav", b"RIFF", "audio/wav")},
        who="operator_a",
    ),
    # stations and groups
    "station-unknown": Bad(
        "POST", _p("/api/v1/stations"), 422, "serial", {"name": "x", "area_id": 4, "serial": "123"}
    ),
    "station-no-area": Bad(
        "POST", _p("/api/v1/stations"), 422, "area_id", {"name": "x", "area_id": 999}
    ),
    "station-null-name": Bad(
        "PATCH", lambda w: f"/api/v1/stations/{make_station(w, 'A')}", 422, "name", {"name": None}
    ),
    "station-huge-id": Bad("GET", _p(f"/api/v1/stations/{2**70}"), 422, "station_id"),
    "group-ids-type": Bad(
        "POST",
        _p("/api/v1/station-groups"),
        422,
        "station_ids",
        {"name": "g", "area_id": 4, "station_ids": "all"},
    ),
    "group-missing-station": Bad(
        "POST",
        _p("/api/v1/station-groups"),
        422,
        "station_ids",
        {"name": "g", "area_id": 4, "station_ids": [424242]},
    ),
    # playlist previews
    "playlist-date-format": Bad(
        "GET", _p("/api/v1/areas/4/playlist?date=01-12-2026"), 422, "date", who="operator_a"
    ),
    "playlist-date-too-far": Bad(
        "GET", _p("/api/v1/areas/4/playlist?date=2999-01-01"), 422, "date", who="operator_a"
    ),
    "playlist-station-id": Bad(
        "GET", _p("/api/v1/stations/0/playlist"), 422, "station_id", who="operator_a"
    ),
    "playlist-missing-station": Bad(
        "GET", _p("/api/v1/stations/424242/playlist"), 404, "424242", who="operator_a"
    ),
    # sessions, policy, queue
    "session-no-target": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "target",
        {**SESSION, "target_area_ids": []},
        who="operator_a",
    ),
    "session-time": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "start",
        {**SESSION, "start": "25:00"},
        who="operator_a",
    ),
    "session-recurrence": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "weekday",
        {**SESSION, "recurrence": {"repeat": "weekdays"}},
        who="operator_a",
    ),
    "session-length": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "max_length_s",
        {**SESSION, "max_length_s": 0},
        who="operator_a",
    ),
    "session-unknown": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "priority",
        {**SESSION, "priority": 1},
        who="operator_a",
    ),
    "session-null-start": Bad(
        "PATCH",
        lambda w: f"/api/v1/sessions/{make_session(w, 'A')}",
        422,
        "start",
        {"start": None},
        who="operator_a",
    ),
    "session-missing-group": Bad(
        "POST",
        _p("/api/v1/sessions"),
        422,
        "target_group_ids",
        {**SESSION, "target_group_ids": [4242]},
        who="operator_a",
    ),
    "policy-days": Bad("PUT", _p("/api/v1/areas/4/policy"), 422, "days_off", {"days_off": [9]}),
    "policy-unknown": Bad("PUT", _p("/api/v1/areas/4/policy"), 422, "curfew", {"curfew": 1}),
    "queue-relay-without-time": Bad(
        "POST",
        _p("/api/v1/queue"),
        422,
        "relay length",
        {"content_id": 1, "session_id": 1, "relay_length_s": 60, "recurrence": {"repeat": "daily"}},
        who="operator_a",
    ),
    "queue-missing-content": Bad(
        "POST",
        _p("/api/v1/queue"),
        404,
        "no content item",
        {"content_id": 4242, "session_id": 1, "recurrence": {"repeat": "daily"}},
        who="operator_a",
    ),
    "queue-repeat": Bad(
        "POST",
        _p("/api/v1/queue"),
        422,
        "repeat",
        {"content_id": 1, "session_id": 1, "repeat": 0, "recurrence": {"repeat": "daily"}},
        who="operator_a",
    ),
    # station agents
    "enroll-bad-code": Bad(
        "POST",
        _p("/agent/v1/enroll"),
        403,
        "unknown, already used or expired",
        {"code": "ABCD-EFGH-JKMN", "hardware_id": "pi-1", "agent_version": "0.1.0"},
        signed_in=False,
    ),
    "enroll-no-hardware": Bad(
        "POST",
        _p("/agent/v1/enroll"),
        422,
        "hardware_id",
        {"code": "ABCD-EFGH-JKMN", "agent_version": "0.1.0"},
        signed_in=False,
    ),
    "enrollment-code-missing-station": Bad(
        "POST", _p("/api/v1/stations/424242/enrollment-code"), 404, "424242"
    ),
    "revoke-never-enrolled": Bad(
        "POST",
        lambda w: f"/api/v1/stations/{make_station(w, 'A')}/revoke",
        409,
        "no enrolled agent",
    ),
    "asrun-result": Bad("GET", _p("/api/v1/asrun?result=aired"), 422, "result"),
    "asrun-naive-from": Bad("GET", _p("/api/v1/asrun?from=2026-11-29T05:30:00"), 422, "from"),
    "asrun-missing-area": Bad("GET", _p("/api/v1/asrun?area_id=424242"), 404, "424242"),
    # audit
    "audit-naive-since": Bad("GET", _p("/api/v1/audit?since=2026-01-01T00:00:00"), 422, "since"),
    "audit-since": Bad("GET", _p("/api/v1/audit?since=yesterday"), 422, "since"),
    "audit-limit": Bad("GET", _p("/api/v1/audit?limit=0"), 422, "limit"),
}


def _counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {
            t: connection.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in TABLES
        }


def _body_for(name: str, case: Bad, world: World) -> Any:
    if name == "area-duplicate-code":
        with world.database.engine.begin() as connection:
            connection.execute(
                text("UPDATE area SET code = 'B1-CODE' WHERE id = :id"), {"id": world.areas["B1"]}
            )
        return {"code": "B1-CODE"}
    if name == "area-move-under-itself":
        return {"parent_id": world.areas["A1"]}
    return case.body


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_by_name_and_writes_nothing(
    client: TestClient, world: World, database: Database, name: str
) -> None:
    case = CASES[name]
    headers = world.headers(case.who) if case.signed_in else {}
    body = _body_for(name, case, world)
    path = case.path(world)
    before = _counts(database)
    content = body if isinstance(body, bytes) else None if body is None else json.dumps(body)
    if case.form is not None or case.files is not None:
        form = {k: v.replace("{A}", str(world.areas["A"])) for k, v in (case.form or {}).items()}
        response = client.request(case.method, path, data=form, files=case.files, headers=headers)
    else:
        headers["Content-Type"] = "application/json"
        response = client.request(case.method, path, content=content, headers=headers)
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert case.names in response.json()["detail"], response.json()
    assert _counts(database) == before


def _chunks(total: int) -> Iterator[bytes]:
    chunk = b" " * 65536
    for _ in range(total // len(chunk) + 1):
        yield chunk


def test_streamed_body_without_length_is_cut_at_the_limit(
    client: TestClient, world: World, database: Database
) -> None:
    headers = world.headers("admin_p") | {"Content-Type": "application/json"}
    before = _counts(database)
    response = client.post("/api/v1/areas", content=_chunks(3_000_000), headers=headers)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert _counts(database) == before


def test_validation_error_lists_every_field(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/users", json={"username": "X Y", "password": "1"}, headers=world.headers("admin_p")
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"username", "password", "area_id"}
