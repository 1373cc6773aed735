"""Enrolled stations and as-run records for tests, made through the real data functions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from stations.fleet import asrun, enrolment
from stations.fleet.auth import StationIdentity
from stations.models import Station
from stations.protocol import AsRunRecord, EnrollRequest
from tests.stations.factories import SETUP, make_station
from tests.world import World, now


def enrollment_code(world: World, station_id: int, *, at: datetime | None = None) -> str:
    with world.database.session(write=True) as session:
        station = session.get(Station, station_id)
        assert station is not None
        code, _ = enrolment.create_code(
            session=session, station=station, actor=SETUP, now=at or now(), ttl=timedelta(hours=24)
        )
        session.commit()
        return code


def enrol(world: World, station_id: int) -> str:
    """Enrol an agent for the station; returns its token."""
    code = enrollment_code(world, station_id)
    with world.database.session(write=True) as session:
        enrolled = enrolment.redeem_code(
            session=session,
            request=EnrollRequest(code=code, hardware_id="pi-test", agent_version="test"),
            now=now(),
        )
        session.commit()
        return enrolled.token


def enrolled_station(world: World, area: str) -> tuple[int, str]:
    station_id = make_station(world, area)
    return station_id, enrol(world, station_id)


def record(**fields: object) -> AsRunRecord:
    start = now()
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "item_id": "1@20261129T000000Z",
        "content_id": 1,
        "planned_start": start,
        "started_at": start,
        "ended_at": start + timedelta(seconds=30),
        "result": "played",
        "clock_offset_ms": 0,
    }
    values.update(fields)
    return AsRunRecord.model_validate(values)


def add_asrun(world: World, station_id: int, *records: AsRunRecord) -> list[AsRunRecord]:
    stored = list(records) or [record()]
    with world.database.session(write=True) as session:
        station = session.get(Station, station_id)
        assert station is not None and station.id is not None
        identity = StationIdentity(station_id=station.id, area_id=station.area_id)
        asrun.store_records(session=session, station=identity, records=stored, now=now())
        session.commit()
    return stored
