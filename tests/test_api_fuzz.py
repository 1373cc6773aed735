"""Schemathesis over the app's OpenAPI schema, in process, on each database: no 5xx, and
every answer (status, content type, headers, body) is one the schema declares.

Each operation gets a fresh copy of the test world (with a few objects of each kind, so
generated ids find some) and an app of its own, and a few examples, derandomized so a
run repeats exactly. Every case signs in afresh, as a user allowed to call the operation
(agent routes with a station's token): a sign-out, or an admin's change to the caller,
cannot spoil the cases after it. The agents' WebSocket is not in the schema.

A deeper run, for a look rather than the gate (about 7,700 cases, 90 s on SQLite):
    LOAXA_FUZZ_EXAMPLES=60 LOAXA_FUZZ_COVERAGE=1 pytest tests/test_api_fuzz.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from api import create_app
from core.auth.models import Role
from core.config import Settings, load_settings
from core.db import Database
from playlists.content.models import ContentStatus
from stations.protocol import PREFIX
from tests.alerts.factories import make_alert
from tests.conftest import BACKENDS, Factory, world_template
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_entry, make_session
from tests.stations.factories import make_group, make_station
from tests.stations.fleet.factories import enrolled_station
from tests.test_route_permissions import CASES
from tests.world import World

# Per operation: about 650 cases over the 69 operations, some 20 s on SQLite.
MAX_EXAMPLES = int(os.environ.get("LOAXA_FUZZ_EXAMPLES", "10"))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 14,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            # Each case signs in below; generated (or left out) tokens would only test 401s.
            "with-security-parameters": False,
            # Unknown query parameters are ignored, as HTTP APIs do (unknown body fields are
            # refused: tests/test_bad_input.py).
            "allow-extra-parameters": False,
        },
        "phases": {
            # The boundary values and undeclared methods of each operation: 7x the cases.
            "coverage": {"enabled": os.environ.get("LOAXA_FUZZ_COVERAGE") == "1"},
            "stateful": {"enabled": False},
        },
        "checks": {
            # 503 is the designed "try again shortly" (with Retry-After) of the operations
            # that declare it; an undeclared one still fails status_code_conformance.
            "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
            # Off: they measure the schema's precision, not the app's answers. Valid by the
            # schema yet refused: the validators say more than JSON Schema can (no control
            # characters, no explicit null in a change, fields that depend on each other).
            "positive_data_acceptance": {"enabled": False},
            # Invalid by the schema yet accepted: pydantic's lax reading (false as 0, a
            # number as a timestamp, duplicates in a set), which agents rely on.
            "negative_data_rejection": {"enabled": False},
            # GET /content/upload reaches GET /content/{item_id}: a 422 naming item_id.
            "unsupported_method": {"enabled": False},
        },
    }
)


def _schema() -> schemathesis.BaseSchema:
    # The schema of an app that never serves: each test sends its cases to an app of its own.
    app = create_app(load_settings(database_url="sqlite:///:memory:", auto_migrate=False))
    schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
    schema.app = app
    return schema


schema = _schema()


def _caller(method: str, path: str) -> str:
    """Who signs in for an operation: an admin of province P where an admin may call it,
    else a user of commune A holding a role that may (so cases get past the permission)."""
    allowed = CASES[(method, path)].allowed if (method, path) in CASES else {Role.admin}
    return "admin_p" if Role.admin in allowed else f"{min(r.value for r in allowed)}_a"


@dataclass(frozen=True)
class _Objects:
    """A database holding the test world and a few objects of each kind, and the token
    of its enrolled station in commune A."""

    url: str
    station_token: str


def _add_objects(world: World) -> str:
    for area in ("A", "B"):
        make_item(world, area, status=ContentStatus.approved)
        make_item(world, area, status=ContentStatus.submitted)
        station = make_station(world, area)
        make_group(world, area, [station])
        enrolled_station(world, area)
        make_entry(world, area)
        make_alert(world, area)
    return enrolled_station(world, "A")[1]


@pytest.fixture(scope="session")
def objects_templates() -> dict[str, _Objects]:
    return {}


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    objects_templates: dict[str, _Objects],
    world_templates: dict[str, tuple[str, World]],
) -> Iterator[str]:
    """A copy of the world with its objects, made once a backend: the operations' cases
    change only their own copy, and making the objects for each cost half its time."""
    backend: str = request.param
    factory: Factory = request.getfixturevalue(f"{backend}_factory")
    if backend not in objects_templates:
        url = factory.create(world_template(backend, factory, world_templates))
        database = Database(url)
        built = world_templates[backend][1]
        world = World(database, areas=dict(built.areas), users=dict(built.users))
        objects_templates[backend] = _Objects(url, _add_objects(world))
        database.dispose()
    url = factory.create(objects_templates[backend].url)
    yield url
    factory.drop(url)


@pytest.fixture
def fuzzed_app(
    settings: Settings, world: World, objects_templates: dict[str, _Objects]
) -> Iterator[FastAPI]:
    app = create_app(settings)
    backend = "sqlite" if world.database.is_sqlite else "postgresql"
    app.state.station_token = objects_templates[backend].station_token
    yield app
    schemathesis.python.asgi.shutdown_lifespans()
    app.state.database.dispose()


def _auth(case: schemathesis.Case, app: FastAPI, world: World) -> dict[str, str]:
    if case.path.startswith(PREFIX + "/"):
        return {"Authorization": f"Bearer {app.state.station_token}"}
    # Signed in afresh for each case: a sign-out (or a change to the caller) in one case
    # leaves the next one signed in.
    return world.headers(_caller(case.method.upper(), case.path))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_declared(
    case: schemathesis.Case, fuzzed_app: FastAPI, world: World
) -> None:
    case.call_and_validate(app=fuzzed_app, headers=_auth(case, fuzzed_app, world))


# What the fuzzing found, pinned.


def test_errors_are_declared_as_they_are_answered() -> None:
    declared = schema.raw_schema
    components = declared["components"]["schemas"]
    assert "HTTPValidationError" not in components
    for path, operations in declared["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    assert components["ErrorBody"]["properties"]["detail"]["type"] == "string"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/users", "GET, HEAD, POST"),
        ("PUT", "/api/v1/users/1", "DELETE, GET, HEAD, PATCH"),
        ("DELETE", "/api/v1/content/voices", "GET, HEAD"),
    ],
)
def test_method_not_allowed_names_every_method(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("value", [0, "05:40+07:00", "05:40:00Z"])
def test_local_times_take_no_offset(client: TestClient, world: World, value: object) -> None:
    # An aware time was stored, then failed the playlist build with a 500 (quiet hours), or
    # put an item at midnight (0 read as seconds).
    station = make_station(world, "A")
    session = make_session(world, "A")
    content = make_item(world, "A", status=ContentStatus.approved)
    operator, admin = world.headers("operator_a"), world.headers("admin_p")
    recurrence = {"repeat": "daily"}
    refused = [
        client.post(
            "/api/v1/queue",
            json={
                "content_id": content,
                "session_id": session,
                "at": value,
                "recurrence": recurrence,
            },
            headers=operator,
        ),
        client.patch(f"/api/v1/sessions/{session}", json={"start": value}, headers=operator),
        client.put(
            f"/api/v1/areas/{world.areas['A']}/policy",
            json={"quiet_hours": [{"start": value, "end": "05:00"}]},
            headers=admin,
        ),
    ]
    for response in refused:
        assert response.status_code == 422, response.text
        assert "no offset" in response.json()["detail"]
    playlist = client.get(f"/api/v1/stations/{station}/playlist", headers=operator)
    assert playlist.status_code == 200
