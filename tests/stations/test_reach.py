"""What targets reach: a station moved to another commune leaves the reach of the groups
of the commune it left (issue 14: it stayed reachable from there)."""

from __future__ import annotations

from datetime import time

from fastapi.testclient import TestClient
from sqlmodel import select

from core.audit.models import AuditEvent
from core.auth.models import Role
from stations import crud
from stations.models import StationGroupMember, StationUpdate
from stations.reach import stations_reached
from tests.alerts.test_alert_routes import body as alert_body
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import SETUP, make_group, make_station
from tests.world import World, now


def _move(world: World, station_id: int, area: str) -> None:
    with world.database.session(write=True) as session:
        crud.update_station(
            session=session,
            station=crud.get_station(session=session, station_id=station_id),
            station_in=StationUpdate(area_id=world.areas[area]),
            actor=SETUP,
            now=now(),
        )
        session.commit()


def test_a_station_moved_out_of_a_groups_area_leaves_the_group_audited(world: World) -> None:
    moved, stays = make_station(world, "A1"), make_station(world, "A")
    group = make_group(world, "A", [moved, stays])
    _move(world, moved, "B")
    with world.database.session() as session:
        assert crud.group_station_ids(session, group) == [stays]
        assert stations_reached(session=session, group_ids=[group]) == {stays}
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "group.station_moved_out")
        ).one()
    assert event.object_id == str(group)
    assert event.area_id == world.areas["A"]


def test_a_move_inside_the_groups_area_keeps_the_station_in_it(world: World) -> None:
    station = make_station(world, "A")
    group = make_group(world, "A", [station])
    _move(world, station, "A1")
    with world.database.session() as session:
        assert stations_reached(session=session, group_ids=[group]) == {station}


def test_a_membership_outside_the_groups_area_reaches_nothing(world: World) -> None:
    """Rows left from before the fix (or written around the data functions) still do not
    let a group reach a station outside its area."""
    inside, outside = make_station(world, "A"), make_station(world, "B")
    group = make_group(world, "A", [inside])
    with world.database.session(write=True) as session:
        session.add(StationGroupMember(group_id=group, station_id=outside))
        session.commit()
    with world.database.session() as session:
        assert stations_reached(session=session, group_ids=[group]) == {inside}
        assert stations_reached(session=session, area_ids=[world.areas["B"]]) >= {outside}


def test_the_commune_a_station_left_no_longer_reaches_it_through_its_group(
    client: TestClient, world: World
) -> None:
    """The scenario found from outside: an admin moves a station of commune A to commune B;
    A's group kept it, A's session on that group played there and A's alert reached it."""
    station = make_station(world, "A")
    group = make_group(world, "A", [station])
    operator = world.headers("operator_a")
    session_id = make_session(world, "A", start=time(17, 0), targets=["A"])
    retarget = client.patch(
        f"/api/v1/sessions/{session_id}",
        headers=operator,
        json={"target_area_ids": [], "target_group_ids": [group]},
    )
    assert retarget.status_code == 200, retarget.text
    queue_into(world, session_id, approved_audio(world, "A", seconds=60, title="Tin xã A"))
    moved = client.patch(
        f"/api/v1/stations/{station}",
        headers=world.headers("admin_p"),
        json={"area_id": world.areas["B"]},
    )
    assert moved.status_code == 200, moved.text
    read = client.get(f"/api/v1/station-groups/{group}", headers=operator)
    assert read.json()["station_ids"] == []
    preview = client.get(
        f"/api/v1/stations/{station}/playlist", headers=world.headers("admin_p")
    ).json()
    assert [i["title"] for i in preview["items"]] == []
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    alert = client.post(
        "/api/v1/alerts",
        headers=world.headers("duty_a"),
        json=alert_body(world, approved_audio(world, "A", seconds=20))
        | {"target_area_ids": [], "target_group_ids": [group], "issue_now": True},
    )
    assert alert.status_code == 201, alert.text
    assert alert.json()["stations"] == 0


def test_a_group_takes_no_station_outside_its_area(client: TestClient, world: World) -> None:
    """Refused by name rather than kept and silently never reached."""
    inside, outside = make_station(world, "A1"), make_station(world, "B")
    admin = world.headers("admin_p")  # whose scope holds both communes
    body = {"name": "Nhóm xã A", "area_id": world.areas["A"], "station_ids": [inside, outside]}
    refused = client.post("/api/v1/station-groups", headers=admin, json=body)
    assert refused.status_code == 422, refused.text
    assert f"station #{outside} lies outside the group's area" in refused.json()["detail"]
    body["station_ids"] = [inside]
    group = client.post("/api/v1/station-groups", headers=admin, json=body).json()
    changed = client.patch(
        f"/api/v1/station-groups/{group['id']}", headers=admin, json={"station_ids": [outside]}
    )
    assert changed.status_code == 422, changed.text
    assert client.get(f"/api/v1/station-groups/{group['id']}", headers=admin).json()[
        "station_ids"
    ] == [inside]
