"""Where a station's loudspeakers stand (WGS 84), for alerts that target a CAP polygon or
circle: both coordinates or neither, since half a location would put the station on a line
around the Earth."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.errors import Invalid
from stations.models import Station

COORDINATES = ("latitude", "longitude")


def require_whole_location(
    latitude: float | None, longitude: float | None, *, given: Collection[str] = COORDINATES
) -> None:
    """Refuse, naming the field at fault, unless `latitude` and `longitude` are both set or
    both null, and (for an update) both of them `given` when either is: moving a station
    changes both, so one alone is more likely a slip than a change of one coordinate."""
    sent = [name for name in COORDINATES if name in given]
    if len(sent) == 1:
        other = next(name for name in COORDINATES if name not in given)
        raise Invalid(
            f"{other} is required with {sent[0]}: give both to set the station's location, "
            "or both as null to clear it",
            field=other,
        )
    if not sent:
        return
    values = {"latitude": latitude, "longitude": longitude}
    missing = [name for name, value in values.items() if value is None]
    if len(missing) == 1:
        present = next(name for name in COORDINATES if name not in missing)
        raise Invalid(
            f"{missing[0]} is null but {present} is set: a station's location is both "
            "coordinates or neither",
            field=missing[0],
        )


@dataclass(frozen=True, slots=True)
class LocatedStation:
    id: int
    area_id: int
    area_path: str
    latitude: float
    longitude: float


def stations_in_box(
    session: Session, *, south: float, west: float, north: float, east: float
) -> list[LocatedStation]:
    """The stations with a location inside the box (edges included), with their areas'
    paths: the cheap first cut before a shape's own test."""
    query = (
        select(Station, Area.path)
        .join(Area, col(Area.id) == Station.area_id)
        .where(
            col(Station.latitude).between(south, north),
            col(Station.longitude).between(west, east),
        )
        .order_by(col(Station.id))
    )
    return [
        LocatedStation(
            id=station.id,
            area_id=station.area_id,
            area_path=path,
            latitude=station.latitude,
            longitude=station.longitude,
        )
        for station, path in session.exec(query).all()
        if station.id is not None and station.latitude is not None and station.longitude is not None
    ]
