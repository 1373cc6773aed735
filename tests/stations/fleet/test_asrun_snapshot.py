"""Each as-run record keeps what its item was when it aired: renaming or deleting the
content and moving the station afterwards leave the record as it was."""

from __future__ import annotations

from sqlmodel import select

from core.areas.models import Area
from core.auth.models import User
from playlists.content.models import ContentItem, ContentStatus, Tier
from stations import crud as stations_crud
from stations.fleet.models import AsRun
from stations.models import Station
from tests.alerts.factories import make_alert
from tests.playlists.content.factories import make_item
from tests.stations.factories import SETUP, make_station
from tests.stations.fleet.factories import add_asrun, record
from tests.world import World, now


def _stored(world: World) -> list[AsRun]:
    with world.database.session() as session:
        return list(session.exec(select(AsRun).order_by(AsRun.occurred_at)))


def test_a_record_keeps_the_item_its_people_and_its_areas_as_they_were(world: World) -> None:
    station = make_station(world, "A1")
    content_id = make_item(world, "A", status=ContentStatus.approved, title="Tiêm chủng")
    add_asrun(world, station, record(content_id=content_id))
    with world.database.session(write=True) as session:
        item = session.get(ContentItem, content_id)
        assert item is not None
        owner = session.get(Area, item.area_id)
        station_area = session.get(Area, world.areas["A1"])
        creator = session.get(User, item.created_by)
        approver = session.get(User, item.reviewed_by)
        assert owner and station_area and creator and approver
        expected = {
            "snapshot_kind": "content",
            "snapshot_title": "Tiêm chủng",
            "snapshot_tier": Tier.normal.value,
            "snapshot_language": item.language,
            "snapshot_lineage_id": item.lineage_id,
            "snapshot_version": item.version,
            "snapshot_created_by_name": creator.full_name or creator.username,
            "snapshot_approved_by_name": approver.full_name or approver.username,
            "owner_area_code": owner.code,
            "owner_area_path": owner.path,
            "owner_area_level": owner.level,
            "station_area_path": station_area.path,
            "station_area_name": station_area.name,
        }
        # Afterwards: the content is renamed and the station moves to another commune.
        item.title = "Đổi tên"
        moved = session.get(Station, station)
        assert moved is not None
        moved.area_id = world.areas["B1"]
        session.add_all([item, moved])
        session.commit()
    (row,) = _stored(world)
    assert {name: getattr(row, name) for name in expected} == expected
    assert row.snapshot_approved_by != row.snapshot_created_by  # four eyes, kept


def test_an_alert_record_keeps_the_alert_and_an_unknown_item_says_so(world: World) -> None:
    station = make_station(world, "A1")
    alert = make_alert(world, "A", issued=True)
    add_asrun(
        world,
        station,
        record(item_id=f"alert:{alert.identifier}#1", content_id=None),
        record(item_id="99@20261129T000000Z", content_id=999_999),
    )
    kinds = {(r.snapshot_kind, r.snapshot_title, r.snapshot_tier) for r in _stored(world)}
    assert kinds == {("alert", alert.headline, "emergency"), ("unknown", None, None)}


def test_a_new_station_never_takes_the_id_of_a_deleted_one_with_history(world: World) -> None:
    """On SQLite the highest id of a deleted row comes back; the history kept under it
    would then be the new station's, read by another area's supervisor."""
    old = make_station(world, "A1")
    add_asrun(world, old, record())
    with world.database.session(write=True) as session:
        station = session.get(Station, old)
        assert station is not None
        stations_crud.delete_station(session=session, station=station, actor=SETUP, now=now())
        session.commit()
    assert make_station(world, "B1") != old
