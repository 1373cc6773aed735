"""The change test: the scheduler running in the app rebuilds one commune's stations, and
only them, within seconds of an operator's edit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api import create_app
from core.audit.models import AuditHead
from playlists.timelines.models import BuildState, StationBuild
from tests.clock import SettableClock
from tests.conftest import make_settings
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import make_station
from tests.world import World


@pytest.fixture
def live_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(
        database_url, tmp_path, scheduler_enabled=True, scheduler_interval_s=0.2
    )
    # A stopped clock: a local midnight during the test would rebuild everything.
    app = create_app(settings, clock=SettableClock(datetime.now(UTC)))
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def _versions(world: World) -> dict[int, int]:
    with world.database.session() as session:
        return {b.station_id: b.version for b in session.exec(select(StationBuild)).all()}


def _caught_up(world: World) -> bool:
    """The scheduler has followed the audit chain to its newest event."""
    with world.database.session() as session:
        state, head = session.get(BuildState, 1), session.get(AuditHead, 1)
        return state is not None and head is not None and state.audit_cursor == head.last_event_id


def _wait(condition: Callable[[], bool], seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "the scheduler did not rebuild in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_editing_one_commune_session_rebuilds_only_its_stations(
    live_client: TestClient, world: World
) -> None:
    ours = [make_station(world, "A1") for _ in range(3)]
    theirs = [make_station(world, "B1") for _ in range(2)]
    for area in ("A", "B"):
        session_id = make_session(world, area, start=clock_time(6, 0))
        queue_into(world, session_id, approved_audio(world, "A", seconds=120))
    _wait(lambda: _caught_up(world) and set(_versions(world)) == {*ours, *theirs}, 30)
    before = _versions(world)
    our_session = make_session(world, "A", start=clock_time(17, 0))
    queue_into(world, our_session, approved_audio(world, "A", seconds=60))
    _wait(lambda: _caught_up(world), 10)
    assert all(_versions(world)[s] > before[s] for s in ours)

    settled = _versions(world)
    edited = live_client.patch(
        f"/api/v1/sessions/{our_session}",
        headers=world.headers("operator_a"),
        json={"start": "18:00"},
    )
    assert edited.status_code == 200, edited.text
    took = _wait(lambda: all(_versions(world)[s] > settled[s] for s in ours), 10)
    _wait(lambda: _caught_up(world), 10)
    after = _versions(world)
    assert {s: after[s] for s in theirs} == {s: before[s] for s in theirs}
    assert {s: after[s] for s in ours} == {s: settled[s] + 1 for s in ours}  # one new version
    print(f"rebuilt {len(ours)} stations {took:.2f} s after the edit")  # noqa: T201
