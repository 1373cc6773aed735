"""GET /api/v1/reports/stations/{id}/days/{day}: a day's plan of record against the as-run
log and the station's health, through the API, and unchanged by later edits."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from playlists.content.models import ContentItem
from playlists.sessions.models import QueueEntry
from stations.fleet.health import HeartbeatBuffer
from stations.models import Station
from stations.protocol import Heartbeat
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.reports.factories import SIX
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World

DAY = "2026-12-01"


def _s(seconds: float) -> datetime:
    return SIX + timedelta(seconds=seconds)


def _beats(world: World, station: int, seconds: list[float]) -> None:
    buffer = HeartbeatBuffer(world.database, offline_after=timedelta(seconds=180))
    for at in seconds:
        beat = Heartbeat(clock_offset_ms=0, agent_version="t", uptime_s=1, asrun_pending=0)
        buffer.add(station_id=station, beat=beat, now=_s(at))
        buffer.flush()


def test_the_day_names_what_played_was_late_cut_missed_and_what_no_plan_held(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station, _token = enrolled_station(world, "A1")
    session_id = make_session(world, "A", start=time(6, 0))
    titles = ["Tin sáng", "Tiêm chủng", "Thời tiết", "Giá lúa"]
    contents = [approved_audio(world, "A", seconds=60, title=t) for t in titles]
    for order, content in enumerate(contents):
        queue_into(world, session_id, content, order=order)
    build(world, clock)  # the day before, as the keeper does
    clock.advance(timedelta(days=1, hours=6))  # 1 December, 12:00 in Hanoi
    headers = world.headers("supervisor_a", clock.now())
    plan = client.get(f"/api/v1/stations/{station}/playlist?date={DAY}", headers=headers).json()
    ids = [i["id"] for i in plan["items"]]
    assert [i["title"] for i in plan["items"]] == titles
    _beats(world, station, [-120, -60])  # then silent until 11:00: offline from 06:02
    _beats(world, station, [5 * 3600 + s for s in (0, 60, 120)])
    add_asrun(
        world,
        station,
        record(
            item_id=ids[0],
            content_id=contents[0],
            planned_start=_s(0),
            started_at=_s(0.4),
            ended_at=_s(60.4),
        ),
        record(
            item_id=ids[1],
            content_id=contents[1],
            planned_start=_s(60),
            started_at=_s(63),
            ended_at=_s(123),
        ),
        record(
            item_id=ids[2],
            content_id=contents[2],
            planned_start=_s(120),
            started_at=_s(123),
            ended_at=_s(125.5),
            result="partial",
            error="interrupted: the agent stopped",
        ),
        record(
            item_id="alert:lu-quet#1",
            content_id=None,
            planned_start=_s(400),
            started_at=_s(400),
            ended_at=_s(430),
        ),
    )
    url = f"/api/v1/reports/stations/{station}/days/{DAY}"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    report = response.json()
    got = [(i["title"], i["outcome"], i["reason"]) for i in report["items"]]
    assert got == [
        ("Tin sáng", "played", None),
        ("Tiêm chủng", "late", None),
        ("Thời tiết", "partial", "interrupted: the agent stopped"),
        ("Giá lúa", "missing", "offline"),
    ]
    assert report["items"][1]["start_delay_s"] == 3.0
    assert report["items"][2]["aired_s"] == 2.5
    assert [u["item_id"] for u in report["unplanned"]] == ["alert:lu-quet#1"]
    summary = report["summary"]
    assert summary["due"] == 4 and summary["compliance"] == 0.5
    assert summary["outcomes"]["missing"] == 1 and summary["online_s"] == 60 + 120
    assert report["items"][0]["records"][0]["approved_by"]  # who approved it, as it was

    # Afterwards the content goes and the station moves: the day's report stays as it was.
    village = world.add_area(world.fresh_name("Thôn "), "A", "village")
    with world.database.session(write=True) as session:
        for entry in session.exec(select(QueueEntry)).all():
            session.delete(entry)
        session.flush()
        gone = session.get(ContentItem, contents[0])
        moved = session.get(Station, station)
        assert gone is not None and moved is not None
        session.delete(gone)
        moved.area_id = village
        session.add(moved)
        session.commit()
    build(world, clock)
    again = client.get(url, headers=headers).json()
    # The queue emptied at 12:00 is a new version from then on; the morning is as it was.
    assert len(again.pop("plan")) == 2 and len(report.pop("plan")) == 1
    assert again == report


def test_records_still_on_the_station_make_the_rest_of_the_day_incomplete_not_missed(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station, _token = enrolled_station(world, "A1")
    session_id = make_session(world, "A", start=time(6, 0))
    queue_into(world, session_id, approved_audio(world, "A", seconds=60))
    build(world, clock)
    clock.advance(timedelta(days=1, hours=1))  # 07:00: the item's time has passed
    buffer = HeartbeatBuffer(world.database, offline_after=timedelta(seconds=180))
    beat = Heartbeat(
        clock_offset_ms=0,
        agent_version="t",
        uptime_s=1,
        asrun_pending=2,
        asrun_pending_since=_s(-30),
    )
    buffer.add(station_id=station, beat=beat, now=clock.now())
    buffer.flush()
    headers = world.headers("operator_a", clock.now())
    report = client.get(f"/api/v1/reports/stations/{station}/days/{DAY}", headers=headers).json()
    (item,) = report["items"]
    assert (item["outcome"], item["reason"]) == ("missing", "data_incomplete")
    assert report["summary"]["incomplete_since"] == "2026-11-30T22:59:30Z"
