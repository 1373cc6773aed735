"""Every route in the permission matrix refuses a caller with no token or a forged one.

On SQLite alone: the refusal comes from the token check before any query of the route's
own runs, so the database under it changes nothing; tests/test_route_permissions.py runs
the role × scope matrix, where the database's queries decide, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import fresh_database
from tests.test_route_permissions import CASES, ROUTE_IDS
from tests.world import World


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from fresh_database(request, "sqlite")


@pytest.mark.parametrize("route", list(CASES), ids=ROUTE_IDS)
def test_unauthenticated_is_refused(
    client: TestClient, world: World, route: tuple[str, str]
) -> None:
    world.storage = client.app.state.content.storage
    call = CASES[route].make(world, "inside")
    response = call.send(client, route[0])
    assert response.status_code == 401, response.text
    bad = call.send(client, route[0], {"Authorization": "Bearer forged-token"})
    assert bad.status_code == 401, bad.text
