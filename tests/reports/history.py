"""A reported day for the pages' tests: commune A's village A1 has two clusters; a session
of two bulletins at 06:00; the first cluster airs both (the second 10 s late), the second
cluster is never heard from. Built, aired and summed through the real functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playlists.timelines.record import effective_items, plan_versions
from scheduler.keeper import PlaylistKeeper
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.reports.factories import summarize
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TITLES = ("Tin buổi sáng", "Lịch tiêm chủng")


def _build_all(world: World, clock: SettableClock) -> None:
    """A full build on the test's clock, even when a running server's keeper has just built
    the same inputs (its tick would find nothing new) or builds meanwhile (it starts again)."""
    keeper = PlaylistKeeper(
        database=world.database, clock=clock, horizon_days=3, timezone="Asia/Ho_Chi_Minh"
    )
    for _attempt in range(20):
        if keeper.rebuild_all() is not None:
            return
    raise AssertionError("another keeper kept building: no full build in 20 attempts")


@dataclass(frozen=True)
class History:
    day: date
    aired: int  # the station that aired both bulletins
    silent: int  # the station never heard from
    content_ids: tuple[int, int]


def reported_day(world: World, day: date) -> History:
    """`day` is Hanoi's local day; the sums are made at 12:00 that day."""
    # Built at noon the day before: its own 06:00 was never planned for these clusters.
    clock = SettableClock(datetime.combine(day - timedelta(days=1), time(12), HANOI))
    aired, _ = enrolled_station(world, "A1")
    silent, _ = enrolled_station(world, "A1")
    session_id = make_session(world, "P", start=time(6, 0), targets=["P"])
    contents = tuple(approved_audio(world, "P", title=title) for title in TITLES)
    for order, content_id in enumerate(contents):
        queue_into(world, session_id, content_id, order=order)
    _build_all(world, clock)
    with world.database.session() as session:
        versions = plan_versions(session=session, station_id=aired, day=day)
        items = effective_items(versions)
    assert len(items) == len(TITLES), versions
    late = (0.0, 10.0)
    records = [
        record(
            item_id=item.id,
            content_id=item.content_id,
            planned_start=item.start,
            started_at=item.start + timedelta(seconds=delay),
            ended_at=item.start + timedelta(seconds=delay + item.duration_s),
        )
        for item, delay in zip(items, late, strict=True)
    ]
    add_asrun(world, aired, *records)
    clock.advance(datetime.combine(day, time(12), HANOI) - clock.now())
    summarize(world, clock)
    return History(day, aired, silent, (contents[0], contents[1]))
