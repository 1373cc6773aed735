"""Stations and groups for tests, made through the real data functions."""

from __future__ import annotations

from core.audit.chain import Actor
from stations import crud
from stations.models import StationCreate, StationGroupCreate
from tests.world import World, now

SETUP = Actor(id=None, name="test-setup")


def make_station(
    world: World, area: str, *, latitude: float | None = None, longitude: float | None = None
) -> int:
    """A station in the area, standing at (latitude, longitude) if given."""
    with world.database.session(write=True) as session:
        station = crud.create_station(
            session=session,
            actor=SETUP,
            now=now(),
            station_in=StationCreate(
                name=world.fresh_name("Cụm loa "),
                area_id=world.areas[area],
                latitude=latitude,
                longitude=longitude,
            ),
        )
        session.commit()
        assert station.id is not None
        return station.id


def make_group(world: World, area: str, stations: list[int] | None = None) -> int:
    with world.database.session(write=True) as session:
        group = crud.create_group(
            session=session,
            actor=SETUP,
            now=now(),
            group_in=StationGroupCreate(
                name=world.fresh_name("Nhóm "),
                area_id=world.areas[area],
                station_ids=stations or [],
            ),
        )
        session.commit()
        assert group.id is not None
        return group.id
