"""Points against CAP polygons and circles (alerts/cap_geometry.py), and the parser reading
`<polygon>` and `<circle>` or refusing them naming the element."""

from __future__ import annotations

import math

import pytest

from alerts.cap import CAP_NAMESPACE, CapError, parse_cap
from alerts.cap_geometry import (
    KM_PER_DEGREE,
    Point,
    circle_bounds,
    distance_km,
    in_circle,
    in_polygon,
    polygon_bounds,
)
from alerts.cap_models import CapCircle, CapPolygon

# A commune-sized square near Huế, closed as CAP writes it.
SQUARE = [Point(16.0, 107.0), Point(16.0, 107.1), Point(16.1, 107.1), Point(16.1, 107.0)]
CLOSED_SQUARE = [*SQUARE, SQUARE[0]]
# A U open to the north: the notch between its arms is outside.
U_SHAPE = [
    Point(0, 0),
    Point(0, 3),
    Point(3, 3),
    Point(3, 2),
    Point(1, 2),
    Point(1, 1),
    Point(3, 1),
    Point(3, 0),
    Point(0, 0),
]


@pytest.mark.parametrize("ring", [SQUARE, CLOSED_SQUARE], ids=["open", "closed"])
def test_a_point_inside_a_square_is_inside_and_one_outside_is_not(ring: list[Point]) -> None:
    assert in_polygon(Point(16.05, 107.05), ring)
    for outside in (Point(16.2, 107.05), Point(15.9, 107.05), Point(16.05, 107.2), Point(0, 0)):
        assert not in_polygon(outside, ring)


@pytest.mark.parametrize(
    "on_boundary",
    [Point(16.0, 107.05), Point(16.05, 107.1), Point(16.1, 107.0), Point(16.0, 107.0)],
    ids=["south edge", "east edge", "a vertex", "the closing vertex"],
)
def test_a_point_on_the_boundary_counts_as_inside(on_boundary: Point) -> None:
    assert in_polygon(on_boundary, CLOSED_SQUARE)


def test_a_point_a_hair_outside_an_edge_is_outside() -> None:
    assert not in_polygon(Point(16.05, 107.1 + 1e-6), CLOSED_SQUARE)


def test_a_concave_polygons_notch_is_outside() -> None:
    assert in_polygon(Point(0.5, 1.5), U_SHAPE)  # the base
    assert in_polygon(Point(2.5, 0.5), U_SHAPE)  # an arm
    assert not in_polygon(Point(1.5, 1.5), U_SHAPE)  # between the arms
    assert not in_polygon(Point(3.5, 1.5), U_SHAPE)


def test_a_ray_through_a_vertex_is_counted_once() -> None:
    """A point level with vertices (its ray eastward passes through them) is still read
    right: the classic ray casting slip counts such a vertex twice."""
    diamond = [Point(0, 1), Point(1, 2), Point(2, 1), Point(1, 0), Point(0, 1)]
    assert in_polygon(Point(1, 1), diamond)
    assert not in_polygon(Point(1, -0.5), diamond)  # level with the vertices (1, 0) and (1, 2)
    # level with a horizontal edge of the U, west of the polygon
    assert not in_polygon(Point(2, -1), U_SHAPE)
    assert in_polygon(Point(2, 0.5), U_SHAPE)


def test_a_self_crossing_polygon_follows_the_even_odd_rule() -> None:
    bow_tie = [Point(0, 0), Point(2, 2), Point(2, 0), Point(0, 2), Point(0, 0)]
    # wings to the south and the north, meeting at (1, 1)
    assert in_polygon(Point(0.5, 1), bow_tie) and in_polygon(Point(1.5, 1), bow_tie)
    assert not in_polygon(Point(1, 0.5), bow_tie)  # the gap between the wings


def test_fewer_than_three_distinct_points_hold_nothing() -> None:
    assert not in_polygon(Point(0, 0), [Point(0, 0), Point(1, 1)])


def test_the_haversine_distance_matches_known_ones() -> None:
    # One degree of a meridian, and Hà Nội to Thành phố Hồ Chí Minh (about 1,137 km).
    assert distance_km(Point(0, 0), Point(1, 0)) == pytest.approx(KM_PER_DEGREE)
    assert distance_km(Point(21.0285, 105.8542), Point(10.8231, 106.6297)) == pytest.approx(
        1137, abs=5
    )
    assert distance_km(Point(0, 179.9), Point(0, -179.9)) == pytest.approx(0.2 * KM_PER_DEGREE)
    assert distance_km(Point(0, 0), Point(0, 180)) == pytest.approx(math.pi * 6371.0088)


def test_a_circle_holds_what_lies_within_its_radius() -> None:
    centre = Point(16.0, 107.0)
    assert in_circle(Point(16.0, 107.0), centre, 1.0)
    assert in_circle(Point(16.0 + 0.99 / KM_PER_DEGREE, 107.0), centre, 1.0)
    assert not in_circle(Point(16.0 + 1.01 / KM_PER_DEGREE, 107.0), centre, 1.0)
    # east-west, a degree of longitude is shorter by the cosine of the latitude
    east = 0.99 / (KM_PER_DEGREE * math.cos(math.radians(16.0)))
    assert in_circle(Point(16.0, 107.0 + east), centre, 1.0)
    assert not in_circle(Point(16.0, 107.0 + 1.02 / KM_PER_DEGREE / 0.9613), centre, 1.0)


def test_a_circle_of_radius_zero_holds_its_centre_alone() -> None:
    """NOAA and the OASIS earthquake example send a point as a circle of radius 0."""
    centre = Point(32.9525, -115.5527)
    assert in_circle(centre, centre, 0.0)
    assert not in_circle(Point(32.9525, -115.5526), centre, 0.0)


def test_a_circle_across_the_antimeridian_holds_both_sides() -> None:
    centre = Point(0.0, 179.99)
    assert in_circle(Point(0.0, -179.99), centre, 5.0)
    assert circle_bounds(centre, 5.0)[1:4:2] == (-180.0, 180.0)


def test_a_circles_box_holds_the_circle() -> None:
    for centre, radius in [(Point(16.0, 107.0), 25.0), (Point(60.0, 10.0), 100.0)]:
        south, west, north, east = circle_bounds(centre, radius)
        for bearing in range(0, 360, 15):
            # a point on the circle, by the spherical destination formula
            d, b = radius / 6371.0088, math.radians(bearing)
            lat1, lon1 = math.radians(centre.latitude), math.radians(centre.longitude)
            lat2 = math.asin(
                math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b)
            )
            lon2 = lon1 + math.atan2(
                math.sin(b) * math.sin(d) * math.cos(lat1),
                math.cos(d) - math.sin(lat1) * math.sin(lat2),
            )
            assert south <= math.degrees(lat2) <= north and west <= math.degrees(lon2) <= east


def test_a_circle_reaching_a_pole_spans_every_longitude() -> None:
    assert circle_bounds(Point(89.9, 0.0), 50.0) == (
        pytest.approx(89.9 - 50 / KM_PER_DEGREE, abs=1e-5),
        -180.0,
        90.0,
        180.0,
    )


def test_a_polygons_box_is_its_extremes() -> None:
    assert polygon_bounds(CLOSED_SQUARE) == (16.0, 107.0, 16.1, 107.1)


def test_the_cap_values_delegate_to_the_geometry() -> None:
    polygon = CapPolygon(points=tuple(CLOSED_SQUARE))
    circle = CapCircle(centre=Point(16.0, 107.0), radius_km=2.0)
    assert polygon.contains(Point(16.05, 107.05)) and not polygon.contains(Point(17, 107))
    assert circle.contains(Point(16.01, 107.0)) and not circle.contains(Point(16.1, 107.0))
    assert polygon.bounds() == polygon_bounds(CLOSED_SQUARE)


# Reading <polygon> and <circle> ---------------------------------------------------------


def _document(*shapes: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NAMESPACE}"><identifier>VN-GEO-1</identifier>
<sender>canhbao@nchmf.gov.vn</sender><sent>2026-11-29T07:00:00+07:00</sent>
<status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><category>Met</category><event>Lũ</event><urgency>Immediate</urgency>
<severity>Severe</severity><certainty>Observed</certainty>
<area><areaDesc>Thượng nguồn sông Hương</areaDesc>{"".join(shapes)}</area></info>
</alert>""".encode()


def test_polygons_and_circles_are_read_in_document_order() -> None:
    cap = parse_cap(
        _document(
            "<polygon>16.0,107.0 16.0,107.1 16.1,107.1 16.0,107.0</polygon>",
            "<circle>16.05,107.05 2.5</circle>",
            "<polygon>\n  -1,-2 -1,2\n  1,2 -1,-2\n</polygon>",
            "<circle> 16,107   0 </circle>",
        )
    )
    area = cap.infos[0].areas[0]
    assert [p.points[1] for p in area.polygons] == [Point(16.0, 107.1), Point(-1, 2)]
    assert area.circles == [
        CapCircle(centre=Point(16.05, 107.05), radius_km=2.5),
        CapCircle(centre=Point(16, 107), radius_km=0.0),
    ]
    assert len(area.shapes) == 4


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        (
            "<polygon>16,107 16,108 16,107</polygon>",
            "polygon: 3 points; a polygon needs at least 4",
        ),
        ("<polygon>16,107 16,108 17,108 17,107</polygon>", "polygon: not closed"),
        (
            "<polygon>16,107 16;108 17,108 16,107</polygon>",
            "polygon: '16;108' is not a \"lat,lon\"",
        ),
        ("<polygon>16, 107 16,108 17,108 16,107</polygon>", "polygon: '16,' is not"),
        ("<polygon>16,107 91,108 17,108 16,107</polygon>", "polygon: latitude 91 is outside"),
        ("<polygon>16,107 16,181 17,108 16,107</polygon>", "polygon: longitude 181 is outside"),
        ("<polygon>nan,107 16,108 17,108 nan,107</polygon>", "polygon: 'nan,107' is not"),
        ("<polygon>1e1,107 16,108 17,108 1e1,107</polygon>", "polygon: '1e1,107' is not"),
        ("<polygon> </polygon>", "alert/info/area/polygon is empty"),
        ("<circle>16,107</circle>", "circle: '16,107' is not \"lat,lon radius\""),
        ("<circle>16,107 1 2</circle>", "circle: '16,107 1 2' is not"),
        ("<circle>16,107 -1</circle>", "circle: the radius '-1' is not a distance in km"),
        ("<circle>16,107 inf</circle>", "circle: the radius 'inf' is not"),
        ("<circle>16 107 1</circle>", "circle: '16 107 1' is not"),
        ("<circle>-90.5,107 1</circle>", "circle: latitude -90.5 is outside"),
    ],
)
def test_a_bad_shape_is_refused_naming_the_element(shape: str, message: str) -> None:
    with pytest.raises(CapError) as refused:
        parse_cap(_document(shape))
    assert refused.value.message.startswith("alert/info/area/")
    assert message in refused.value.message


def test_the_second_of_several_shapes_is_named_by_its_position() -> None:
    with pytest.raises(CapError) as refused:
        parse_cap(_document("<circle>16,107 1</circle>", "<circle>16,107</circle>"))
    assert refused.value.message.startswith("alert/info/area/circle[2]: ")
