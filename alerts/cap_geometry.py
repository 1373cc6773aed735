"""Where a point lies against a CAP 1.2 `<polygon>` or `<circle>`: pure functions on WGS 84
latitude and longitude in degrees.

A polygon is tested by ray casting on latitude and longitude as if they were plane
coordinates. That is exact enough at the scale CAP polygons are drawn for Loaxa's use (a
commune, a district, a river valley: tens of kilometres), where an edge's curve on the
sphere departs from the straight line between its ends by far less than a loudspeaker
cluster's footprint. It is not right for polygons crossing the antimeridian (±180°) or
enclosing a pole, which no Vietnamese warning draws. A circle is tested by its great-circle
(haversine) distance in kilometres, which is right at every scale.

A point on the boundary counts as inside, for both: a station on the line of a warning is
warned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

# The mean Earth radius (IUGG), in kilometres: what CAP's radius in km is measured against.
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# How far (in degrees, about a millimetre) a point may lie off an edge and be on it:
# coordinates come as decimal text, so one written on an edge is not always exactly on it.
ON_EDGE_DEGREES = 1e-8


class Point(NamedTuple):
    latitude: float
    longitude: float


class Bounds(NamedTuple):
    """A latitude and longitude box holding a shape: for a cheap first cut in a query."""

    south: float
    west: float
    north: float
    east: float


def in_polygon(point: Point, vertices: Sequence[Point]) -> bool:
    """Whether `point` lies inside the polygon or on its boundary (even-odd rule, so a
    self-crossing polygon's overlaps count as outside). The closing vertex may be repeated
    or not."""
    if len(vertices) < 3:
        return False
    y, x = point
    near = ON_EDGE_DEGREES
    inside = False
    # One pass, inline: a feed's polygon may have thousands of points, and every station
    # in its box is tested against each edge.
    y1, x1 = vertices[-1]
    for y2, x2 in vertices:
        if (
            (y1 - near <= y <= y2 + near or y2 - near <= y <= y1 + near)
            and (x1 - near <= x <= x2 + near or x2 - near <= x <= x1 + near)
            and _near_line(x, y, x1, y1, x2, y2)
        ):
            return True
        # Half-open in latitude: a ray through a vertex is counted for one of its two
        # edges only, and a horizontal edge never.
        if (y1 > y) != (y2 > y) and x1 + (y - y1) * (x2 - x1) / (y2 - y1) > x:
            inside = not inside
        y1, x1 = y2, x2
    return inside


def _near_line(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    """Whether (x, y), already within the edge's box, lies on the edge (within a hair)."""
    length = math.hypot(x2 - x1, y2 - y1)
    if length == 0:
        return math.hypot(x - x1, y - y1) <= ON_EDGE_DEGREES
    # The distance from the line through the ends: the cross product over the edge's length.
    return abs((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) / length <= ON_EDGE_DEGREES


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points (haversine), in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def in_circle(point: Point, centre: Point, radius_km: float) -> bool:
    """Whether `point` lies within `radius_km` of `centre` (on the circle included; a
    radius of 0 holds the centre alone)."""
    return distance_km(point, centre) <= radius_km


def polygon_bounds(vertices: Sequence[Point]) -> Bounds:
    latitudes = [v.latitude for v in vertices]
    longitudes = [v.longitude for v in vertices]
    return Bounds(min(latitudes), min(longitudes), max(latitudes), max(longitudes))


def circle_bounds(centre: Point, radius_km: float) -> Bounds:
    """A box holding the circle: a little wider than it, never narrower (a margin covers
    rounding); every longitude where the circle reaches a pole or the antimeridian."""
    margin = 1e-6
    reach = radius_km / KM_PER_DEGREE + margin
    south, north = centre.latitude - reach, centre.latitude + reach
    if south <= -90 or north >= 90:
        return Bounds(max(south, -90.0), -180.0, min(north, 90.0), 180.0)
    # A parallel's degree shrinks with the cosine of its latitude; the circle is widest
    # at the latitude nearest a pole it spans.
    widest = max(abs(south), abs(north))
    spread = reach / math.cos(math.radians(widest))
    west, east = centre.longitude - spread, centre.longitude + spread
    if west < -180 or east > 180:
        return Bounds(south, -180.0, north, 180.0)
    return Bounds(south, west, north, east)
