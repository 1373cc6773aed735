"""Stations and station groups through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.stations.factories import make_station
from tests.world import World


def test_admin_adds_moves_and_removes_a_station(client: TestClient, world: World) -> None:
    admin = world.headers("admin_p")
    created = client.post(
        "/api/v1/stations",
        headers=admin,
        json={"name": "Cụm loa chợ", "code": "A-CHO", "area_id": world.areas["A"]},
    )
    assert created.status_code == 201, created.text
    station = created.json()
    moved = client.patch(
        f"/api/v1/stations/{station['id']}", headers=admin, json={"area_id": world.areas["A1"]}
    )
    assert moved.json()["area_id"] == world.areas["A1"]
    duplicate = client.post(
        "/api/v1/stations",
        headers=admin,
        json={"name": "x", "code": "A-CHO", "area_id": world.areas["A"]},
    )
    assert duplicate.status_code == 409 and "A-CHO" in duplicate.json()["detail"]
    listed = client.get("/api/v1/stations", headers=world.headers("operator_a")).json()
    assert [s["name"] for s in listed["data"]] == ["Cụm loa chợ"]
    assert client.delete(f"/api/v1/stations/{station['id']}", headers=admin).status_code == 204
    events = client.get(
        f"/api/v1/audit?object_type=station&object_id={station['id']}", headers=admin
    ).json()
    assert [e["action"] for e in events["data"]] == [
        "station.delete",
        "station.update",
        "station.create",
    ]


def test_operator_groups_only_stations_in_their_scope(client: TestClient, world: World) -> None:
    mine, theirs = make_station(world, "A"), make_station(world, "B")
    operator = world.headers("operator_a")
    refused = client.post(
        "/api/v1/station-groups",
        headers=operator,
        json={"name": "Lẫn", "area_id": world.areas["A"], "station_ids": [mine, theirs]},
    )
    assert refused.status_code == 403
    assert f"station #{theirs}" in refused.json()["detail"]
    missing = client.post(
        "/api/v1/station-groups",
        headers=operator,
        json={"name": "Thiếu", "area_id": world.areas["A"], "station_ids": [mine, 99999]},
    )
    assert missing.status_code == 422 and "station_ids" in missing.json()["detail"]
    group = client.post(
        "/api/v1/station-groups",
        headers=operator,
        json={"name": "Thôn Đông", "area_id": world.areas["A"], "station_ids": [mine, mine]},
    ).json()
    assert group["station_ids"] == [mine]
    second = make_station(world, "A1")
    changed = client.patch(
        f"/api/v1/station-groups/{group['id']}", headers=operator, json={"station_ids": [second]}
    ).json()
    assert changed["station_ids"] == [second]


def test_deleting_a_station_takes_it_out_of_its_groups(client: TestClient, world: World) -> None:
    station = make_station(world, "A")
    operator = world.headers("operator_a")
    group = client.post(
        "/api/v1/station-groups",
        headers=operator,
        json={"name": "G", "area_id": world.areas["A"], "station_ids": [station]},
    ).json()
    client.delete(f"/api/v1/stations/{station}", headers=world.headers("admin_a"))
    assert (
        client.get(f"/api/v1/station-groups/{group['id']}", headers=operator).json()["station_ids"]
        == []
    )
