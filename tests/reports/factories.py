"""What the reports tests share: the reported day's 06:00, and one summarizer tick."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from fastapi.testclient import TestClient

from core.clock import Clock
from reports.summarizer import ReportSummarizer
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World

SIX = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00 on 1 December in Hanoi
DAY = "2026-12-01"  # SIX's local day


def summarize(world: World, clock: Clock) -> int:
    """One summarizer tick at the clock's time; returns the station-days it summed."""
    return ReportSummarizer(
        database=world.database,
        clock=clock,
        timezone="Asia/Ho_Chi_Minh",
        offline_after=timedelta(seconds=180),
        late_after=timedelta(seconds=2),
        refresh=timedelta(minutes=10),
        retention_days=400,
    ).tick()


def one_aired_one_missed(client: TestClient, world: World, clock: SettableClock) -> int:
    """A cluster of commune A whose 06:00 session on DAY held two bulletins: the first
    aired in full, the second never; the clock at 06:00 that day. Returns the station."""
    station, _ = enrolled_station(world, "A1")
    session_id = make_session(world, "A", start=time(6, 0))
    first = approved_audio(world, "A", seconds=60, title="Tiêm chủng mở rộng")
    queue_into(world, session_id, first)
    queue_into(world, session_id, approved_audio(world, "A", seconds=60, title="Giá lúa"), order=1)
    build(world, clock)
    clock.advance(timedelta(days=1, hours=6))
    headers = world.headers("supervisor_a", clock.now())
    plan = client.get(f"/api/v1/stations/{station}/playlist?date={DAY}", headers=headers).json()
    add_asrun(
        world,
        station,
        record(
            item_id=plan["items"][0]["id"],
            content_id=first,
            planned_start=SIX,
            started_at=SIX,
            ended_at=SIX + timedelta(seconds=60),
        ),
    )
    return station
