"""CAP documents targeting by `<polygon>` and `<circle>`, end to end through
`POST /api/v1/alerts/cap`: real warnings (/work/shared/cap_real, as their authors wrote them,
no Vietnamese geocode) reach the stations standing inside their shapes and no others; only
stations in the importer's scope; beside the areas a geocode names; delivered when issued."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from alerts.cap import parse_cap
from alerts.cap_geometry import KM_PER_DEGREE
from alerts.cap_import import CapImport, alert_from_cap
from alerts.models import Alert
from core.areas.models import Area
from core.auth.models import Role
from stations import crud as stations_crud
from stations.models import Station
from tests.alerts.cap_documents import CAP_REAL, CODES, cap_alert, give_code, moved_times
from tests.alerts.factories import make_alert
from tests.alerts.test_cap_routes import imported, post
from tests.conftest import fresh_database
from tests.stations.factories import SETUP, make_station
from tests.world import World, now

# Their subject is who a shape reaches, not the reading: the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # SQLite: each import here is read by TTS (seconds each), the same on either database; the
    # one query the shapes add (stations in a box) runs on PostgreSQL in the first test.
    yield from fresh_database(request, getattr(request, "param", "sqlite"))


def moved_to_now(document: bytes) -> bytes:
    """The document as if sent a minute ago, keeping its own spans and offsets."""
    return moved_times(document, at=now() - timedelta(minutes=1))


def real(name: str) -> bytes:
    return moved_to_now((CAP_REAL / f"{name}.orig.xml").read_bytes())


def north_of(latitude: float, km: float) -> float:
    return latitude + km / KM_PER_DEGREE


def located(world: World, area: str, latitude: float, longitude: float) -> int:
    """A station standing at (latitude, longitude), in the area."""
    return make_station(world, area, latitude=latitude, longitude=longitude)


def delivered_to(client: TestClient, world: World, alert: dict[str, Any]) -> list[int]:
    """Approved by the approver: the stations it was delivered to."""
    approved = client.post(
        f"/api/v1/alerts/{alert['id']}/approve", headers=world.headers("approver_a")
    )
    assert approved.status_code == 200, approved.text
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("supervisor_a"))
    return sorted(d["station_id"] for d in shown.json()["deliveries"])


def alerts_stored(world: World) -> int:
    with world.database.session() as session:
        return int(session.exec(select(func.count()).select_from(Alert)).one())


# The real documents ----------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_oasis_thunderstorm_polygon_reaches_the_station_inside_it(
    client: TestClient, world: World
) -> None:
    """NWS Sacramento (CAP 1.2 Appendix A.2): a four-sided polygon in the Sierra Nevada; its
    SAME geocodes are no official scheme here and target nothing."""
    inside = located(world, "A1", 38.49, -119.93)
    outside = [
        located(world, "A", 38.30, -119.95),  # south of it
        located(world, "A", 38.60, -120.10),  # north-west, inside its box only
    ]
    make_station(world, "A")  # no location: never targeted by a shape
    alert = imported(client, world, real("oasis-a2-severe-thunderstorm"))
    assert alert["target_station_ids"] == [inside] and alert["target_area_ids"] == []
    assert alert["area_id"] == world.areas["A1"]  # the only station's area
    assert delivered_to(client, world, alert) == [inside]
    assert not set(outside) & set(alert["target_station_ids"])


def test_the_oasis_earthquake_point_reaches_only_the_station_standing_on_it(
    client: TestClient, world: World
) -> None:
    """TriNet (Appendix A.3): an Update of an alert never held here (so a new alert), its
    place a circle of radius 0, no <expires> (Geo's default applies)."""
    on_it = located(world, "A", 32.9525, -115.5527)
    located(world, "A", north_of(32.9525, 0.1), -115.5527)  # 100 m away
    alert = imported(client, world, real("oasis-a3-earthquake-update"))
    assert alert["target_station_ids"] == [on_it]
    assert alert["msg_type"] == "Alert" and alert["expires_default"] == "Geo"


@pytest.mark.parametrize(
    ("name", "centre", "radius_km"),
    [
        ("airnow-air-quality-alert", (42.0133, -111.8092), 1.0),
        ("nsw-rfs-structure-fire", (-35.3888, 147.0598), 25.0),
    ],
)
def test_a_real_circle_reaches_the_stations_within_its_radius(
    client: TestClient, world: World, name: str, centre: tuple[float, float], radius_km: float
) -> None:
    """EPA AirNow's 1 km circle (its only area) and NSW Rural Fire Service's 25 km one (its
    ISO 3166 geocode AU-NSW targets nothing)."""
    latitude, longitude = centre
    near = located(world, "A", north_of(latitude, radius_km * 0.8), longitude)
    at_centre = located(world, "A1", latitude, longitude)
    located(world, "A", north_of(latitude, radius_km * 1.2), longitude)
    located(world, "A", latitude, longitude + 2 * radius_km / KM_PER_DEGREE)  # well east
    alert = imported(client, world, real(name))
    assert alert["target_station_ids"] == sorted([near, at_centre])
    assert alert["area_id"] == world.areas["A"]  # the lowest area holding A and A1
    assert delivered_to(client, world, alert) == sorted([near, at_centre])


def test_the_ipaws_41_point_polygon_holds_its_centre_not_beyond_its_ring(
    client: TestClient, world: World
) -> None:
    """Montgomery County, MD: a ring of 40 points about 2.41 km around its centre."""
    latitude, longitude = 39.0839, -77.1494
    inside = [
        located(world, "A", latitude, longitude),
        located(world, "A", north_of(latitude, 2.2), longitude),
    ]
    located(world, "A", north_of(latitude, 2.6), longitude)
    located(world, "A", north_of(latitude, -2.6), longitude)
    alert = imported(client, world, real("ipaws-md-local-emergency-polygon-jpeg"))
    assert alert["target_station_ids"] == sorted(inside)


def test_environment_canadas_three_polygons_each_reach_their_stations(
    client: TestClient, world: World
) -> None:
    """ECCC: an Update of three alerts never held (a new alert), English block read first,
    three areas each with a polygon and CAP-CP geocodes (no official scheme here)."""
    thunder_bay = located(world, "A1", 48.3809, -89.2477)
    kakabeka_falls = located(world, "A", 48.4014, -89.6254)
    located(world, "A", 47.5, -88.0)  # out on Lake Superior
    alert = imported(client, world, real("eccc-special-weather-statement-update-en-fr"))
    assert alert["target_station_ids"] == sorted([thunder_bay, kakabeka_falls])
    assert alert["language"] == "en-CA" and alert["area_id"] == world.areas["A"]


# Scope -----------------------------------------------------------------------------------


def test_stations_beyond_the_importers_scope_are_left_out_and_logged(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The thunderstorm's polygon holds stations of communes A and B; operator_a acts in A:
    only A's station is warned, and B's is named in the log."""
    ours = located(world, "A1", 38.49, -119.93)
    theirs = located(world, "B1", 38.50, -119.90)
    with caplog.at_level(logging.INFO, logger="alerts.cap_stations"):
        alert = imported(client, world, real("oasis-a2-severe-thunderstorm"))
    assert alert["target_station_ids"] == [ours]
    assert delivered_to(client, world, alert) == [ours]
    assert f"#{theirs}" in caplog.text and "outside the importer's scope" in caplog.text
    # An operator of the province warns both.
    world.add_user("operator_p", area="P", roles={Role.operator: "P"})
    again = moved_to_now(
        real("oasis-a2-severe-thunderstorm").replace(b"KSTO1055887203", b"KSTO1055887204")
    )
    wider = imported(client, world, again, user="operator_p")
    assert wider["target_station_ids"] == sorted([ours, theirs])
    assert wider["area_id"] == world.areas["P"]


def test_only_stations_beyond_the_scope_inside_the_shape_is_refused_saying_both(
    client: TestClient, world: World
) -> None:
    located(world, "B1", 38.49, -119.93)
    refused = post(client, world, real("oasis-a2-severe-thunderstorm"))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("alert/info/area: ")
    assert "official scheme" in detail  # the geocodes' reason
    assert "1 station(s) with a location inside its <polygon>s" in detail
    assert "outside your roles' scope" in detail
    assert alerts_stored(world) == 0


def test_a_shape_holding_no_station_is_refused_naming_both_reasons(
    client: TestClient, world: World
) -> None:
    located(world, "A", 10.0, 106.0)  # far from the storm
    refused = post(client, world, real("nsw-rfs-structure-fire"))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "no <geocode> of an official scheme" in detail
    assert "the document has http://www.iso.org/iso/country_codes.html" in detail
    assert "no station with a location lies inside its <polygon>s and <circle>s" in detail
    assert refused.json()["errors"][0]["field"] == "alert/info/area"
    assert alerts_stored(world) == 0


def test_a_document_with_no_geocode_and_no_shape_is_refused_naming_both(
    client: TestClient, world: World
) -> None:
    """The OASIS homeland security advisory (Appendix A.1): an area by description only."""
    refused = post(client, world, real("oasis-a1-homeland-security"))
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "no <geocode> of an official scheme" in detail
    assert "no <area> has a <polygon> or <circle>" in detail
    assert refused.json()["errors"][0]["field"] == "alert/info/area/geocode"


def test_an_approver_outside_a_target_stations_area_may_not_issue_it(
    client: TestClient, world: World
) -> None:
    world.add_user("operator_p", area="P", roles={Role.operator: "P"})
    located(world, "B1", 38.49, -119.93)
    alert = imported(client, world, real("oasis-a2-severe-thunderstorm"), user="operator_p")
    approve = client.post(
        f"/api/v1/alerts/{alert['id']}/approve", headers=world.headers("approver_a")
    )
    assert approve.status_code == 403, approve.text


def test_without_a_scope_the_mapping_keeps_every_station_inside(world: World) -> None:
    """alert_from_cap narrows to a scope only when given one; creating the alert then checks
    the caller's scope on every station's area (crud.areas_in_reach)."""
    a, b = located(world, "A1", 38.49, -119.93), located(world, "B1", 38.50, -119.90)
    cap = parse_cap(real("oasis-a2-severe-thunderstorm"))
    with world.database.session() as session:
        commune_a = session.get(Area, world.areas["A"])
        assert commune_a is not None
        everything = alert_from_cap(cap=cap, session=session, now=now())
        ours = alert_from_cap(cap=cap, session=session, now=now(), scope=[commune_a.path])
    assert isinstance(everything, CapImport) and isinstance(ours, CapImport)
    assert everything.origin.target_station_ids == (a, b)
    assert everything.alert_in.area_id == world.areas["P"]
    assert ours.origin.target_station_ids == (a,)


# Beside geocodes, and what the alert keeps ---------------------------------------------


def test_stations_in_a_shape_are_targeted_beside_the_geocodes_areas(
    client: TestClient, world: World
) -> None:
    """The Vietnamese test document naming commune B by its code, with a polygon around a
    station of commune A's village: both are reached, managed at the province."""
    world.add_user("operator_p", area="P", roles={Role.operator: "P"})
    give_code(world, "B")
    in_b = make_station(world, "B")
    in_polygon = located(world, "A1", 16.05, 107.05)
    located(world, "A1", 16.5, 107.05)
    polygon = "<polygon>16.0,107.0 16.0,107.1 16.1,107.1 16.1,107.0 16.0,107.0</polygon>"
    document = cap_alert(codes=(CODES["B"],)).replace(
        b"</areaDesc>", f"</areaDesc>{polygon}".encode()
    )
    alert = imported(client, world, document, user="operator_p")
    assert alert["target_area_ids"] == [world.areas["B"]]
    assert alert["target_station_ids"] == [in_polygon]
    assert alert["area_id"] == world.areas["P"]
    world.add_user("approver_p", area="P", roles={Role.approver: "P"})
    issued = client.post(
        f"/api/v1/alerts/{alert['id']}/approve", headers=world.headers("approver_p")
    )
    assert issued.status_code == 200 and issued.json()["stations"] == 2
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("approver_p"))
    assert sorted(d["station_id"] for d in shown.json()["deliveries"]) == sorted([in_b, in_polygon])


def test_issue_now_puts_a_shape_only_alert_on_the_air(client: TestClient, world: World) -> None:
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    inside = located(world, "A", 42.0133, -111.8092)
    alert = imported(
        client, world, real("airnow-air-quality-alert"), user="duty_a", issue_now="true"
    )
    assert alert["state"] == "issued" and alert["stations"] == 1
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=world.headers("supervisor_a"))
    assert [d["station_id"] for d in shown.json()["deliveries"]] == [inside]


def test_a_target_station_deleted_before_approval_is_not_delivered_to(
    client: TestClient, world: World
) -> None:
    gone = located(world, "A", 42.0133, -111.8092)
    stays = located(world, "A", 42.0134, -111.8092)
    alert = imported(client, world, real("airnow-air-quality-alert"))
    with world.database.session(write=True) as session:
        station = session.get(Station, gone)
        assert station is not None
        stations_crud.delete_station(session=session, station=station, actor=SETUP, now=now())
        session.commit()
    assert delivered_to(client, world, alert) == [stays]


def test_an_alert_stored_before_station_targets_shows_none(
    client: TestClient, world: World
) -> None:
    alert = make_alert(world, "A")
    with world.database.session(write=True) as session:
        row = session.get(Alert, alert.id)
        assert row is not None
        row.targets = f'{{"areas": [{world.areas["A"]}], "groups": []}}'
        session.add(row)
        session.commit()
    shown = client.get(f"/api/v1/alerts/{alert.id}", headers=world.headers("supervisor_a"))
    assert shown.status_code == 200, shown.text
    assert shown.json()["target_station_ids"] == []
    assert shown.json()["target_area_ids"] == [world.areas["A"]]


def test_the_public_alert_body_still_takes_no_station_targets(
    client: TestClient, world: World
) -> None:
    body = {
        "area_id": world.areas["A"],
        "target_station_ids": [1],
        "headline": "Lũ",
        "text": "Lũ",
        "expires": (now() + timedelta(hours=1)).isoformat(),
    }
    refused = client.post("/api/v1/alerts", json=body, headers=world.headers("operator_a"))
    assert refused.status_code == 422
    assert "unknown field 'target_station_ids'" in refused.text
