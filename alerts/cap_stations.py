"""The stations a CAP document's `<polygon>`s and `<circle>`s hold, by where each station
stands (stations/location.py), narrowed to the importer's scope.

A shape is drawn around a hazard, not around communes: a storm's track or a flood plain
crosses the boundaries of areas whose operators are not the importer. Stations inside it
but outside the importer's scope are left out (and logged), as geocodes not on this server
are: the other communes' operators import the same document for theirs. Nobody reaches
outside their area, and one commune's warning is not refused because its polygon spills
over into the next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from alerts.cap_geometry import Point
from alerts.cap_models import CapArea
from stations.location import LocatedStation, stations_in_box

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class StationsInShapes:
    """What the document's shapes hold: the stations targeted, the areas they stand in (for
    the managing area), and how many were left out as outside the importer's scope."""

    shapes: int
    station_ids: tuple[int, ...] = ()
    area_ids: tuple[int, ...] = ()
    outside_scope: int = 0


def stations_in_shapes(
    session: Session, areas: Sequence[CapArea], *, scope: Sequence[str] | None
) -> StationsInShapes:
    """The stations with a location inside any polygon or circle of `areas`, those whose
    area lies in one of the subtrees `scope` (area paths; None: every station, and the
    scope check when the alert is created refuses any beyond the caller's)."""
    shapes = [shape for area in areas for shape in area.shapes]
    inside: dict[int, LocatedStation] = {}
    for shape in shapes:
        south, west, north, east = shape.bounds()
        for station in stations_in_box(session, south=south, west=west, north=north, east=east):
            if station.id not in inside and shape.contains(
                Point(station.latitude, station.longitude)
            ):
                inside[station.id] = station
    kept = [
        s
        for s in inside.values()
        if scope is None or any(s.area_path.startswith(prefix) for prefix in scope)
    ]
    left_out = sorted(inside.keys() - {s.id for s in kept})
    if left_out:
        log.info(
            "CAP import: stations inside the document's shapes but outside the importer's "
            "scope left out: %s",
            ", ".join(f"#{i}" for i in left_out),
        )
    return StationsInShapes(
        shapes=len(shapes),
        station_ids=tuple(sorted(s.id for s in kept)),
        area_ids=tuple(sorted({s.area_id for s in kept})),
        outside_scope=len(left_out),
    )
