"""GET /api/v1/audit: its time filters take ISO 8601 with an offset, and nothing else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.core.times import NONSENSE, ONE_MOMENT, assert_refused_by_name
from tests.world import World

AUDIT = "/api/v1/audit"


@pytest.mark.parametrize("value", NONSENSE)
@pytest.mark.parametrize("name", ["since", "until"])
def test_time_filters_refuse_anything_but_iso_8601_with_an_offset(
    client: TestClient, world: World, name: str, value: str
) -> None:
    response = client.get(AUDIT, params={name: value}, headers=world.headers("admin_p"))
    assert_refused_by_name(response, name)


@pytest.mark.parametrize("value", ONE_MOMENT)
def test_time_filters_take_an_offset_or_z(client: TestClient, world: World, value: str) -> None:
    # The test world's events were all made after that moment.
    headers = world.headers("admin_p")
    everything = client.get(AUDIT, headers=headers).json()["count"]
    assert everything > 0
    since = client.get(AUDIT, params={"since": value}, headers=headers)
    assert since.status_code == 200, since.text
    assert since.json()["count"] == everything
    until = client.get(AUDIT, params={"until": value}, headers=headers)
    assert until.status_code == 200, until.text
    assert until.json()["count"] == 0
