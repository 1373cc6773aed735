"""A station's location (where its loudspeakers stand): set, changed, cleared and read
through the station API, both coordinates or neither; and offered by the agent when it
enrols, taken only where an admin has set none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli.agent import agent_app
from stations.protocol import AgentLocation, EnrollRequest
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.world import World

HUE = {"latitude": 16.4637, "longitude": 107.5909}


def _create(client: TestClient, world: World, **fields: Any) -> Any:
    body = {"name": world.fresh_name("Cụm loa "), "area_id": world.areas["A"], **fields}
    return client.post("/api/v1/stations", headers=world.headers("admin_p"), json=body)


def _patch(client: TestClient, world: World, station: int, **fields: Any) -> Any:
    return client.patch(
        f"/api/v1/stations/{station}", headers=world.headers("admin_p"), json=fields
    )


def _refused_field(answer: Any) -> str:
    """The field a 422 names."""
    assert answer.status_code == 422, answer.text
    field: str = answer.json()["errors"][0]["field"]
    return field


def _read(client: TestClient, world: World, station: int) -> Any:
    answer = client.get(f"/api/v1/stations/{station}", headers=world.headers("admin_p"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_location_is_set_changed_cleared_and_read(client: TestClient, world: World) -> None:
    created = _create(client, world, **HUE)
    assert created.status_code == 201, created.text
    station = created.json()["id"]
    assert (created.json()["latitude"], created.json()["longitude"]) == (16.4637, 107.5909)
    assert _read(client, world, station)["latitude"] == 16.4637

    moved = _patch(client, world, station, latitude=-35.3888, longitude=147.0598)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["latitude"], moved.json()["longitude"]) == (-35.3888, 147.0598)
    renamed = _patch(client, world, station, name="Cụm loa chợ")  # the location stays
    assert renamed.json()["longitude"] == 147.0598

    cleared = _patch(client, world, station, latitude=None, longitude=None)
    assert cleared.status_code == 200, cleared.text
    shown = _read(client, world, station)
    assert shown["latitude"] is None and shown["longitude"] is None

    listed = client.get("/api/v1/stations", headers=world.headers("admin_p")).json()["data"]
    assert {"latitude", "longitude"} <= set(listed[0])


def test_a_station_without_a_location_has_none(client: TestClient, world: World) -> None:
    created = _create(client, world)
    assert created.status_code == 201
    assert created.json()["latitude"] is None and created.json()["longitude"] is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"latitude": 16.4}, "longitude"),
        ({"longitude": 107.5}, "latitude"),
        ({"latitude": 16.4, "longitude": None}, "longitude"),
        ({"latitude": None, "longitude": 107.5}, "latitude"),
    ],
)
def test_half_a_location_is_refused_naming_the_missing_field(
    client: TestClient, world: World, fields: dict[str, Any], named: str
) -> None:
    refused = _create(client, world, **fields)
    assert _refused_field(refused) == named
    assert refused.json()["detail"].startswith(f"{named}: ")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"latitude": 16.5}, "longitude"),  # one coordinate alone, even with the other stored
        ({"longitude": None}, "latitude"),
        ({"latitude": None, "longitude": 107.5}, "latitude"),
    ],
)
def test_an_update_sets_both_coordinates_or_neither(
    client: TestClient, world: World, fields: dict[str, Any], named: str
) -> None:
    station = _create(client, world, **HUE).json()["id"]
    assert _refused_field(_patch(client, world, station, **fields)) == named
    assert _read(client, world, station)["latitude"] == HUE["latitude"]  # unchanged


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"latitude": 90.5, "longitude": 107.0}, "latitude"),
        ({"latitude": 16.0, "longitude": -181}, "longitude"),
        ({"latitude": "north", "longitude": 107.0}, "latitude"),
    ],
)
def test_a_coordinate_out_of_range_is_refused_naming_it(
    client: TestClient, world: World, fields: dict[str, Any], named: str
) -> None:
    assert _refused_field(_create(client, world, **fields)) == named


# The agent's enrolment ------------------------------------------------------------------


def _enrol(client: TestClient, world: World, station: int, **extra: Any) -> Any:
    body = {"code": enrollment_code(world, station), "hardware_id": "pi-1", "agent_version": "t"}
    return client.post("/agent/v1/enroll", json={**body, **extra})


def test_the_agents_location_fills_a_station_without_one(client: TestClient, world: World) -> None:
    station = make_station(world, "A")
    enrolled = _enrol(client, world, station, location=HUE)
    assert enrolled.status_code == 201, enrolled.text
    assert _read(client, world, station)["latitude"] == HUE["latitude"]
    events = client.get(
        f"/api/v1/audit?object_type=station&object_id={station}",
        headers=world.headers("admin_p"),
    ).json()["data"]
    assert events[0]["action"] == "station.enroll"
    assert events[0]["after"]["location"] == HUE


def test_the_admins_location_wins_over_the_agents(client: TestClient, world: World) -> None:
    station = _create(client, world, latitude=10.0, longitude=106.0).json()["id"]
    assert _enrol(client, world, station, location=HUE).status_code == 201
    shown = _read(client, world, station)
    assert (shown["latitude"], shown["longitude"]) == (10.0, 106.0)


def test_an_enrolment_without_a_location_is_as_before(client: TestClient, world: World) -> None:
    station = make_station(world, "A")
    assert _enrol(client, world, station).status_code == 201
    assert _read(client, world, station)["latitude"] is None


@pytest.mark.parametrize(
    "location",
    [{"latitude": 16.0}, {"latitude": 95.0, "longitude": 107.0}, {"latitude": 16, "x": 1}],
)
def test_a_bad_agent_location_is_refused(
    client: TestClient, world: World, location: dict[str, Any]
) -> None:
    station = make_station(world, "A")
    assert _enrol(client, world, station, location=location).status_code == 422


def test_the_agent_leaves_an_unknown_location_out_of_its_request() -> None:
    """An older server refuses fields it does not know: without --location, the request is
    exactly what it was."""
    request = EnrollRequest(code="ABCD-EFGH", hardware_id="pi", agent_version="1")
    assert set(request.model_dump(mode="json", exclude_none=True)) == {
        "code",
        "hardware_id",
        "agent_version",
    }


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("16.4637,107.5909", (16.4637, 107.5909)), ("-35.3888,147.0598", (-35.3888, 147.0598))],
)
def test_an_install_location_is_read_from_lat_lon(text: str, parsed: tuple[float, float]) -> None:
    location = AgentLocation.parse(text)
    assert (location.latitude, location.longitude) == parsed


@pytest.mark.parametrize("text", ["16.4637", "16.4637;107.5", "91,107", "16,nan", "a,b", ""])
def test_a_bad_install_location_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="LAT,LON"):
        AgentLocation.parse(text)


def test_the_agent_command_refuses_a_bad_location(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        agent_app,
        ["agent", "--server", "http://127.0.0.1:9", "--data-dir", str(tmp_path), "--location", "x"],
    )
    assert result.exit_code == 2
    assert "--location" in result.output and "LAT,LON" in result.output
