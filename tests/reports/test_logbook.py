"""GET /api/v1/reports/stations/{id}/logbook: the week's log book, Monday to Sunday."""

from __future__ import annotations

from datetime import time, timedelta

from fastapi.testclient import TestClient

from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.reports.factories import SIX
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World


def test_the_log_book_lists_each_day_in_time_order_with_who_approved_it(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station, _token = enrolled_station(world, "A1")
    session_id = make_session(world, "A", start=time(6, 0))
    content = approved_audio(world, "A", seconds=60, title="Tiêm chủng")
    queue_into(world, session_id, content)
    build(world, clock)
    clock.advance(timedelta(days=1, hours=6))  # Tuesday 1 December, 12:00
    headers = world.headers("supervisor_a", clock.now())
    (item,) = client.get(
        f"/api/v1/stations/{station}/playlist?date=2026-12-01", headers=headers
    ).json()["items"]
    alert_at = SIX - timedelta(minutes=30)  # 05:30: before the bulletin
    add_asrun(
        world,
        station,
        record(
            item_id=item["id"],
            content_id=content,
            planned_start=SIX,
            started_at=SIX,
            ended_at=SIX + timedelta(seconds=60),
        ),
        record(
            item_id="alert:lu-quet#1",
            content_id=None,
            planned_start=alert_at,
            started_at=alert_at,
            ended_at=alert_at + timedelta(seconds=40),
        ),
    )
    response = client.get(
        f"/api/v1/reports/stations/{station}/logbook?date=2026-12-03", headers=headers
    )
    assert response.status_code == 200, response.text
    book = response.json()
    assert (book["first"], book["last"]) == ("2026-11-30", "2026-12-06")
    assert [d["date"] for d in book["days"]][:2] == ["2026-11-30", "2026-12-01"]
    tuesday = book["days"][1]["entries"]
    assert [(e["title"], e["outcome"]) for e in tuesday] == [
        ("alert:lu-quet#1", "unplanned"),
        ("Tiêm chủng", "played"),
    ]
    assert tuesday[1]["approved_by"] and tuesday[1]["planned_s"] == 60.0
    assert tuesday[0]["aired_s"] == 40.0 and tuesday[0]["planned_s"] is None
    # Later days: their items are still to come (the plan was built three days ahead).
    assert [e["outcome"] for e in book["days"][2]["entries"]] == ["upcoming"]
