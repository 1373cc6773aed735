"""GET /api/v1/asrun: its time filters take ISO 8601 with an offset, and nothing else."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.core.times import NONSENSE, ONE_MOMENT, assert_refused_by_name
from tests.stations.factories import make_station
from tests.stations.fleet.factories import add_asrun, record
from tests.world import World

ASRUN = "/api/v1/asrun"


@pytest.mark.parametrize("value", NONSENSE)
@pytest.mark.parametrize("name", ["from", "to"])
def test_time_filters_refuse_anything_but_iso_8601_with_an_offset(
    client: TestClient, world: World, name: str, value: str
) -> None:
    response = client.get(ASRUN, params={name: value}, headers=world.headers("supervisor_a"))
    assert_refused_by_name(response, name)


@pytest.mark.parametrize("value", ONE_MOMENT)
def test_time_filters_take_an_offset_or_z(client: TestClient, world: World, value: str) -> None:
    add_asrun(world, make_station(world, "A"), record(), record())  # both played just now
    headers = world.headers("supervisor_a")
    since = client.get(ASRUN, params={"from": value}, headers=headers)
    assert since.status_code == 200, since.text
    assert since.json()["count"] == 2
    until = client.get(ASRUN, params={"to": value}, headers=headers)
    assert until.status_code == 200, until.text
    assert until.json()["count"] == 0
