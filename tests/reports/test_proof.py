"""GET /api/v1/reports/proof-of-play: where a bulletin aired, of the stations planned."""

from __future__ import annotations

from datetime import time, timedelta

from fastapi.testclient import TestClient

from stations.fleet.health import HeartbeatBuffer
from stations.protocol import Heartbeat
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.reports.factories import SIX
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World


def test_a_bulletin_aired_on_two_of_three_clusters_the_third_offline_since_dawn(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    stations = [enrolled_station(world, "A1")[0] for _ in range(3)]
    outside, _ = enrolled_station(world, "B1")
    session_id = make_session(world, "P", start=time(6, 0), targets=["P"])
    content = approved_audio(world, "P", seconds=60, title="Tiêm chủng")
    queue_into(world, session_id, content)
    build(world, clock)
    clock.advance(timedelta(days=1, hours=6))  # 12:00 on 1 December
    admin = world.headers("admin_p", clock.now())
    (item,) = client.get(
        f"/api/v1/stations/{stations[0]}/playlist?date=2026-12-01", headers=admin
    ).json()["items"]
    for station in [*stations[:2], outside]:
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
        )
    dawn = SIX - timedelta(hours=1)
    buffer = HeartbeatBuffer(world.database, offline_after=timedelta(seconds=180))
    buffer.add(
        station_id=stations[2],
        beat=Heartbeat(clock_offset_ms=0, agent_version="t", uptime_s=1),
        now=dawn,
    )
    buffer.flush()
    url = f"/api/v1/reports/proof-of-play?content_id={content}&from=2026-12-01&to=2026-12-01"
    mine = client.get(url, headers=world.headers("supervisor_a", clock.now()))
    assert mine.status_code == 200, mine.text
    proof = mine.json()
    assert (proof["targeted"], proof["aired_on"], proof["offline"]) == (3, 2, 1)
    assert proof["offline_since"] == "2026-11-30T22:00:00Z" and proof["title"] == "Tiêm chủng"
    assert {s["station_id"] for s in proof["stations"]} == set(stations)  # not outside's
    everyone = client.get(url, headers=admin).json()
    assert (everyone["targeted"], everyone["aired_on"]) == (4, 3)


def test_a_proof_needs_one_bulletin(client: TestClient, world: World, clock: SettableClock) -> None:
    headers = world.headers("supervisor_a", clock.now())
    both = client.get("/api/v1/reports/proof-of-play?content_id=1&lineage_id=1", headers=headers)
    assert both.status_code == 422 and "lineage_id" in both.text
    neither = client.get("/api/v1/reports/proof-of-play", headers=headers)
    assert neither.status_code == 422
