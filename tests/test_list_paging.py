"""Every paged list route under /api/v1 means the same by `count`: how many rows match in
all, whatever page was asked for.

The cases are keyed by the app's OpenAPI schema: a new route taking `limit` without a case
here fails `test_every_paged_route_has_a_case`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.alerts.factories import make_alert, make_order
from tests.alerts.feed_factories import make_feed
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_entry, make_session
from tests.stations.factories import make_group, make_station
from tests.stations.fleet.factories import add_asrun, record
from tests.world import World

SEVERAL = 3


def _asrun(world: World) -> None:
    add_asrun(world, make_station(world, "A"), *(record() for _ in range(SEVERAL)))


@dataclass(frozen=True)
class Listed:
    who: str
    # Adds rows the list shows (the test world already holds areas, users and audit events).
    make: Callable[[World], object] | None = None


def _several(make_one: Callable[[World], object]) -> Callable[[World], object]:
    return lambda world: [make_one(world) for _ in range(SEVERAL)]


CASES: dict[str, Listed] = {
    "/api/v1/areas": Listed("admin_p"),
    "/api/v1/users": Listed("admin_p"),
    "/api/v1/audit": Listed("admin_p"),
    "/api/v1/content": Listed("operator_a", _several(lambda w: make_item(w, "A"))),
    "/api/v1/stations": Listed("admin_p", _several(lambda w: make_station(w, "A"))),
    "/api/v1/station-groups": Listed("admin_p", _several(lambda w: make_group(w, "A"))),
    "/api/v1/sessions": Listed("operator_a", _several(lambda w: make_session(w, "A"))),
    "/api/v1/queue": Listed("operator_a", _several(lambda w: make_entry(w, "A"))),
    "/api/v1/asrun": Listed("supervisor_a", _asrun),
    "/api/v1/alerts": Listed("operator_a", _several(lambda w: make_alert(w, "A"))),
    "/api/v1/broadcasts": Listed("operator_a", _several(lambda w: make_order(w, "A"))),
    "/api/v1/cap-feeds": Listed("operator_a", _several(lambda w: make_feed(w, "A"))),
    "/api/v1/reports/alerts": Listed(
        "supervisor_a", _several(lambda w: make_alert(w, "A", issued=True))
    ),
}


def test_every_paged_route_has_a_case(client: TestClient) -> None:
    paged = {
        path
        for path, operations in client.get("/openapi.json").json()["paths"].items()
        for method, operation in operations.items()
        if method == "get" and any(p["name"] == "limit" for p in operation.get("parameters", []))
    }
    assert paged == set(CASES)


@pytest.mark.parametrize("path", list(CASES))
def test_count_is_the_total_whatever_the_page(client: TestClient, world: World, path: str) -> None:
    case = CASES[path]
    if case.make is not None:
        case.make(world)
    headers = world.headers(case.who)
    everything = client.get(f"{path}?limit=500", headers=headers)
    assert everything.status_code == 200, everything.text
    total = len(everything.json()["data"])
    assert total >= 2, f"{path}: the case should make several rows match"
    assert everything.json()["count"] == total

    for offset in (0, 1, total - 1, total):
        page = client.get(f"{path}?limit=1&offset={offset}", headers=headers).json()
        assert page["count"] == total, (path, offset)
        assert len(page["data"]) == (1 if offset < total else 0), (path, offset)
