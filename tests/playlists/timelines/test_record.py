"""The plan of record: the past is what was in force, never recomputed from today's data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from playlists.sessions import queue
from playlists.timelines.models import StoredItem, StoredTimeline, TimelineBody
from playlists.timelines.record import PlanVersion, StationPlan, effective_items
from playlists.timelines.store import prune_bodies
from tests.clock import SettableClock
from tests.playlists.content.factories import actor
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, build, queue_into
from tests.stations.factories import make_station
from tests.world import World

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi
DAY = date(2026, 12, 1)


def _item(queue_id: int, hour: int, minute: int = 0) -> StoredItem:
    return StoredItem(
        start=datetime(2026, 12, 1, hour, minute, tzinfo=UTC),
        duration_s=60.0,
        timing="soft",
        tier="normal",
        volume=80,
        content_id=queue_id,
        queue_id=queue_id,
        session_id=1,
        title=f"#{queue_id}",
        sha256=None,
        stream_url=None,
    )


def _version(
    items: list[StoredItem], since: datetime, until: datetime | None, n: int = 1
) -> PlanVersion:
    timeline = StoredTimeline(day=DAY, timezone="UTC", sessions=(), items=tuple(items), warnings=())
    return PlanVersion(n, f"d{n}", since, until, timeline)


def at(hour: int) -> datetime:
    return datetime(2026, 12, 1, hour, tzinfo=UTC)


def test_an_item_counts_in_the_version_in_force_at_its_start() -> None:
    aired, dropped_early, kept, added = _item(1, 6), _item(2, 12), _item(3, 14), _item(4, 15)
    first = _version([aired, dropped_early, kept], at(0) - timedelta(days=2), at(9), 1)
    second = _version([kept, added], at(9), None, 2)  # at 09:00: 1 and 2 removed, 4 added
    assert [i.queue_id for i in effective_items([first, second])] == [1, 3, 4]


def test_items_before_a_stations_first_version_were_never_planned_for_it() -> None:
    morning, evening = _item(1, 6), _item(2, 18)
    only = _version([morning, evening], at(12), None)  # the station was added at noon
    assert [i.queue_id for i in effective_items([only])] == [2]


def test_a_version_in_force_for_no_item_adds_none() -> None:
    items = [_item(1, 6)]
    brief = _version(items, at(7), at(8), 1)
    assert effective_items([brief]) == []


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW - timedelta(days=1))


def _titles(
    client: TestClient, world: World, clock: SettableClock, station: int, day: str
) -> list[str]:
    url = f"/api/v1/stations/{station}/playlist?date={day}"
    response = client.get(url, headers=world.headers("operator_a", clock.now()))
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["items"]]


def test_the_past_and_the_aired_part_of_today_are_what_was_in_force(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = make_station(world, "A1")
    morning = make_session(world, "A", start=time(6, 0))
    first = queue_into(world, morning, approved_audio(world, "A", title="Tin sáng"))
    queue_into(world, morning, approved_audio(world, "A", title="Thời tiết"), order=1)
    build(world, clock)  # 30 November, 08:00: 1 December is built ahead
    clock.advance(timedelta(days=1))  # 1 December, 08:00: the morning has aired
    with world.database.session(write=True) as session:
        entry = queue.get_entry(session=session, entry_id=first)
        queue.delete_entry(
            session=session,
            entry=entry,
            actor=actor(world, "operator_a"),
            now=clock.now(),
            area_id=world.areas["A"],
        )
        session.commit()
    build(world, clock)
    # Today's plan still lists what aired this morning, as it was then.
    assert _titles(client, world, clock, station, "2026-12-01") == ["Tin sáng", "Thời tiết"]
    assert _titles(client, world, clock, station, "2026-12-02") == ["Thời tiết"]  # ahead: the build
    clock.advance(timedelta(days=1))  # 2 December, 08:00
    evening = make_session(world, "A", start=time(5, 0))
    queue_into(world, evening, approved_audio(world, "A", title="Mới"))
    build(world, clock)
    yesterday = client.get(
        f"/api/v1/stations/{station}/playlist?date=2026-12-01",
        headers=world.headers("operator_a", clock.now()),
    ).json()
    # The session created this morning is not in yesterday's plan; the version is known.
    assert [i["title"] for i in yesterday["items"]] == ["Tin sáng", "Thời tiết"]
    assert yesterday["version"] == yesterday["plan"][-1]["version"]
    assert [v["in_force_until"] is None for v in yesterday["plan"]] == [False, True]
    # 05:00 today passed before the new session existed: not planned for today either.
    assert "Mới" not in _titles(client, world, clock, station, "2026-12-02")
    assert "Mới" in _titles(client, world, clock, station, "2026-12-03")
    # A day nobody built has no plan of record, and says so.
    response = client.get(
        f"/api/v1/stations/{station}/playlist?date=2026-11-20",
        headers=world.headers("operator_a", clock.now()),
    )
    assert response.status_code == 404 and "plan of record" in response.json()["detail"]


def test_pruning_keeps_the_bodies_the_plan_of_record_needs(
    world: World, clock: SettableClock
) -> None:
    make_station(world, "A1")
    morning = make_session(world, "A", start=time(6, 0))
    queue_into(world, morning, approved_audio(world, "A", title="Tin sáng"))
    build(world, clock)
    clock.advance(timedelta(days=5))  # the horizon has moved past every day built then
    build(world, clock)
    with world.database.session(write=True) as session:
        prune_bodies(session=session)
        session.commit()
        digests = set(session.exec(select(StationPlan.digest)).all())
        kept = set(session.exec(select(TimelineBody.digest)).all())
    assert digests and digests <= kept


def test_ids_of_preview_items_are_the_agents_item_ids(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = make_station(world, "A1")
    morning = make_session(world, "A", start=time(6, 0))
    entry = queue_into(world, morning, approved_audio(world, "A"))
    build(world, clock)
    url = f"/api/v1/stations/{station}/playlist?date=2026-12-01"
    (item,) = client.get(url, headers=world.headers("operator_a", NOW)).json()["items"]
    assert item["id"] == f"{entry}@20261130T230000Z"  # 06:00 in Hanoi
