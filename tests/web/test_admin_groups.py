"""Cluster groups in the administration pages without a browser: adding one in scope,
renaming, adding and taking out clusters (only those of the group's area and below, in
the reader's scope), deleting after a confirmation; each change audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from core.audit.models import AuditEvent
from stations.models import StationGroup, StationGroupMember
from tests.stations.factories import make_group, make_station
from tests.web.pages import sign_in
from tests.world import World


def _members(world: World, group_id: int) -> list[int]:
    with world.database.session() as session:
        rows = session.exec(
            select(StationGroupMember.station_id).where(StationGroupMember.group_id == group_id)
        )
        return sorted(rows)


def _group_events(world: World) -> list[str]:
    with world.database.session() as session:
        rows = session.exec(
            select(AuditEvent.action).where(AuditEvent.object_type == "station_group")
        )
        return list(rows)


def test_a_group_is_made_renamed_filled_and_deleted(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_a")
    inside = make_station(world, "A1")
    elsewhere = make_station(world, "B1")
    missing = client.post("/admin/groups", data={"csrf_token": csrf, "name": "", "area_id": ""})
    assert missing.status_code == 422
    assert 'id="name-error"' in missing.text and 'id="area_id-error"' in missing.text
    outside = client.post(
        "/admin/groups", data={"csrf_token": csrf, "name": "Chợ", "area_id": str(world.areas["B"])}
    )
    assert outside.status_code == 403 and 'id="area_id-error"' in outside.text
    assert 'value="Chợ"' in outside.text
    made = client.post(
        "/admin/groups",
        data={"csrf_token": csrf, "name": "Cụm loa khu chợ", "area_id": str(world.areas["A"])},
        follow_redirects=False,
    )
    assert made.status_code == 303
    group_id = int(made.headers["location"].split("/")[3].split("?")[0])
    page = client.get(f"/admin/groups/{group_id}")
    assert f'<option value="{inside}">' in page.text and f'value="{elsewhere}"' not in page.text
    url = f"/admin/groups/{group_id}/stations"
    added = client.post(url, data={"csrf_token": csrf, "add": str(inside)}, follow_redirects=False)
    assert added.status_code == 303 and _members(world, group_id) == [inside]
    crafted = client.post(url, data={"csrf_token": csrf, "add": str(elsewhere)})
    assert crafted.status_code in (403, 422) and 'id="add-error"' in crafted.text
    assert _members(world, group_id) == [inside]
    nothing = client.post(url, data={"csrf_token": csrf, "add": ""})
    assert nothing.status_code == 422 and 'id="add-error"' in nothing.text
    renamed = client.post(f"/admin/groups/{group_id}/rename", data={"csrf_token": csrf, "name": ""})
    assert renamed.status_code == 422 and 'id="name-error"' in renamed.text
    client.post(f"/admin/groups/{group_id}/rename", data={"csrf_token": csrf, "name": "Khu chợ"})
    removed = client.post(
        url, data={"csrf_token": csrf, "remove": str(inside)}, follow_redirects=False
    )
    assert removed.status_code == 303 and _members(world, group_id) == []
    assert client.get(f"/admin/groups/{group_id}/delete").status_code == 200
    gone = client.post(
        f"/admin/groups/{group_id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    with world.database.session() as session:
        assert session.get(StationGroup, group_id) is None
    assert _group_events(world) == [
        "group.create",
        "group.update",
        "group.update",
        "group.update",
        "group.delete",
    ]


def test_another_areas_group_is_out_of_reach(client: TestClient, world: World) -> None:
    other = make_group(world, "B", [make_station(world, "B1")])
    csrf = sign_in(client, world, "admin_a")
    assert client.get(f"/admin/groups/{other}").status_code == 403
    with world.database.session() as session:
        group = session.get(StationGroup, other)
        assert group is not None
    assert group.name not in client.get("/admin/groups").text
    for path, data in (
        (f"/admin/groups/{other}/rename", {"name": "X"}),
        (f"/admin/groups/{other}/stations", {"remove": "1"}),
        (f"/admin/groups/{other}/delete", {}),
    ):
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403
    assert _members(world, other) != [] and _group_events(world) == ["group.create"]
