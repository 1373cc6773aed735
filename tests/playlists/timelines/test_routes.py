"""Playlist previews: what operators see for a station or an area, local time and UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from fastapi.testclient import TestClient

from core.areas.crud import create_area
from core.areas.models import AreaCreate
from tests.clock import SettableClock
from tests.core.times import assert_refused_by_name
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.stations.factories import SETUP, make_station
from tests.world import World

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi


def test_station_preview_shows_the_built_day_in_local_time_and_utc(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = make_station(world, "A1")
    session_id = make_session(world, "A", start=time(17, 0), minutes=30)
    queue_into(world, session_id, approved_audio(world, "A", seconds=90, title="Tin chiều"))
    build(world, clock)
    headers = world.headers("operator_a", NOW)
    url = f"/api/v1/stations/{station}/playlist"
    assert client.get(url, headers=headers).json()["date"] == "2026-12-01"  # local today
    today = client.get(f"{url}?date=2026-12-01", headers=headers).json()
    assert today["date"] == "2026-12-01" and today["version"] == 1
    (item,) = today["items"]
    assert item["title"] == "Tin chiều" and item["timing"] == "soft"
    assert item["start_local"] == "2026-12-01T17:00:00+07:00"
    assert item["start_utc"] == "2026-12-01T10:00:00Z"
    assert item["end_utc"] == "2026-12-01T10:01:30Z"
    (window,) = today["sessions"]
    assert window["end_local"] == "2026-12-01T17:30:00+07:00"
    later = client.get(
        f"/api/v1/stations/{station}/playlist?date=2026-12-20", headers=headers
    ).json()
    assert later["version"] is None  # beyond the horizon: computed for the preview
    assert [i["start_utc"] for i in later["items"]] == ["2026-12-20T10:00:00Z"]
    assert later["digest"] != today["digest"]


def test_area_preview_groups_stations_that_share_a_timeline(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    a1 = [make_station(world, "A1") for _ in range(2)]
    b1 = make_station(world, "B1")
    session_id = make_session(world, "A", start=time(6, 0))
    queue_into(world, session_id, approved_audio(world, "A", seconds=60))
    url = f"/api/v1/areas/{world.areas['P']}/playlist?date=2026-12-02"
    before = client.get(url, headers=world.headers("admin_p", NOW)).json()
    assert before["stations_without_build"] == [*a1, b1]
    build(world, clock)
    after = client.get(url, headers=world.headers("admin_p", NOW)).json()
    assert after["stations_without_build"] == []
    assert [p["station_ids"] for p in after["data"]] == [a1, [b1]]
    assert [len(p["items"]) for p in after["data"]] == [1, 0]


def test_a_zone_with_daylight_saving_keeps_local_times(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    with world.database.session(write=True) as session:
        area_in = AreaCreate(
            parent_id=world.areas["A"], name="Berlin", level="village", timezone="Europe/Berlin"
        )
        berlin = create_area(session=session, area_in=area_in, actor=SETUP, now=NOW)
        session.commit()
    assert berlin.id is not None
    world.areas["Berlin"] = berlin.id
    station = make_station(world, "Berlin")
    session_id = make_session(world, "A", start=time(5, 30), targets=["Berlin"])
    queue_into(world, session_id, approved_audio(world, "A", seconds=60))
    headers = world.headers("operator_a", NOW)
    starts = {}
    # Days ahead (computed for the preview: the past is the plan of record's).
    for day in ("2027-03-27", "2027-03-28", "2027-10-30", "2027-10-31"):
        response = client.get(f"/api/v1/stations/{station}/playlist?date={day}", headers=headers)
        assert response.status_code == 200, response.text
        (item,) = response.json()["items"]
        starts[day] = (item["start_local"], item["start_utc"])
    assert starts == {
        "2027-03-27": ("2027-03-27T05:30:00+01:00", "2027-03-27T04:30:00Z"),
        "2027-03-28": ("2027-03-28T05:30:00+02:00", "2027-03-28T03:30:00Z"),
        "2027-10-30": ("2027-10-30T05:30:00+02:00", "2027-10-30T03:30:00Z"),
        "2027-10-31": ("2027-10-31T05:30:00+01:00", "2027-10-31T04:30:00Z"),
    }


# 2026-12-01 as a Unix time, at 00:00 UTC, and spellings of it that are not a plain day.
NOT_A_DAY = (
    str(int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())),
    "2026-12-01T00:00:00",
    "2026-12-01T00:00:00+07:00",
    "today",
)


@pytest.mark.parametrize("value", NOT_A_DAY)
@pytest.mark.parametrize("where", ["station", "area"])
def test_the_day_is_yyyy_mm_dd_and_nothing_else(
    client: TestClient, world: World, where: str, value: str
) -> None:
    url = (
        f"/api/v1/stations/{make_station(world, 'A1')}/playlist"
        if where == "station"
        else f"/api/v1/areas/{world.areas['A']}/playlist"
    )
    headers = world.headers("operator_a", NOW)
    response = client.get(url, params={"date": value}, headers=headers)
    assert_refused_by_name(response, "date")
    assert client.get(url, params={"date": "2026-12-01"}, headers=headers).status_code == 200
