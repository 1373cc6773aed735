"""The keeper follows the audit chain: a change rebuilds exactly the stations it touches."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import select

from playlists.content.crud import apply_step, get_item
from playlists.content.workflow import Step
from playlists.sessions.crud import update_session
from playlists.sessions.models import BroadcastSession, PolicyIn, SessionUpdate
from playlists.sessions.policy import set_policy
from playlists.timelines.models import BuildState, StationBuild
from scheduler import keeper as keeper_module
from scheduler.keeper import PlaylistKeeper
from stations.crud import get_station, update_station
from stations.models import StationUpdate
from tests.clock import SettableClock
from tests.playlists.content.factories import actor
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import SETUP, make_station
from tests.world import World

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def keeper(world: World, clock: SettableClock) -> PlaylistKeeper:
    return PlaylistKeeper(
        database=world.database, clock=clock, horizon_days=2, timezone="Asia/Ho_Chi_Minh"
    )


def _versions(world: World) -> dict[int, int]:
    with world.database.session() as session:
        return {b.station_id: b.version for b in session.exec(select(StationBuild)).all()}


def _lengthen(world: World, session_id: int) -> None:
    with world.database.session(write=True) as session:
        found = session.get(BroadcastSession, session_id)
        assert found is not None
        update_session(
            session=session,
            found=found,
            session_in=SessionUpdate(max_length_s=found.max_length_s + 600),
            actor=SETUP,
            now=NOW,
        )
        session.commit()


def test_first_tick_builds_everything_then_only_changes(
    world: World, keeper: PlaylistKeeper
) -> None:
    a1, b1 = make_station(world, "A1"), make_station(world, "B1")
    morning = make_session(world, "A", targets=["A"])
    first = keeper.tick()
    assert first is not None and first.full and first.stations == 2
    assert keeper.tick() is None  # nothing happened since
    _lengthen(world, morning)
    report = keeper.tick()
    assert report is not None and not report.full
    assert report.changed == (a1,)
    assert _versions(world) == {a1: 2, b1: 1}


def test_each_kind_of_change_reaches_its_stations(world: World, keeper: PlaylistKeeper) -> None:
    a1, b1 = make_station(world, "A1"), make_station(world, "B1")
    session_id = make_session(world, "A", targets=["A"], start=time(17))
    content = approved_audio(world, "A", seconds=120)
    keeper.tick()

    queue_into(world, session_id, content)  # the queue
    assert _changed(keeper) == (a1,)

    with world.database.session(write=True) as session:  # content taken off air
        item = get_item(session=session, item_id=content)
        apply_step(
            session=session, item=item, step=Step.archive, actor=actor(world, "operator_a"), now=NOW
        )
        session.commit()
    assert _changed(keeper) == (a1,)

    with world.database.session(write=True) as session:  # policy of commune B
        policy = PolicyIn(days_off=[0, 1, 2, 3, 4, 5, 6])
        set_policy(
            session=session, area_id=world.areas["B"], policy_in=policy, actor=SETUP, now=NOW
        )
        session.commit()
    assert keeper.tick() is not None and _versions(world)[b1] == 1  # B1 plays nothing anyway

    with world.database.session(write=True) as session:  # a station moves to commune A
        station = get_station(session=session, station_id=b1)
        update_station(
            session=session,
            station=station,
            station_in=StationUpdate(area_id=world.areas["A1"]),
            actor=SETUP,
            now=NOW,
        )
        session.commit()
    assert _changed(keeper) == (b1,)


def _changed(keeper: PlaylistKeeper) -> tuple[int, ...]:
    report = keeper.tick()
    assert report is not None
    return report.changed


def test_a_new_local_day_rebuilds_everything(
    world: World, keeper: PlaylistKeeper, clock: SettableClock
) -> None:
    station = make_station(world, "A1")
    keeper.tick()
    clock.advance(timedelta(hours=16))  # 17:00 UTC is midnight in Hanoi
    report = keeper.tick()
    assert report is not None and report.full and report.changed == (station,)
    with world.database.session() as session:
        build = session.get(StationBuild, station)
        assert build is not None and min(build.days) == "2026-12-02"


def test_a_failed_build_keeps_the_cursor_and_is_retried(
    world: World, keeper: PlaylistKeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = make_station(world, "A1")
    morning = make_session(world, "A", targets=["A"])
    keeper.tick()
    with world.database.session() as session:
        cursor = session.get(BuildState, 1).audit_cursor  # type: ignore[union-attr]
    _lengthen(world, morning)

    def broken(**_: object) -> list[int]:
        raise OSError("disk full")

    monkeypatch.setattr(keeper_module, "save_horizons", broken)
    with pytest.raises(OSError, match="disk full"):
        keeper.tick()
    with world.database.session() as session:
        assert session.get(BuildState, 1).audit_cursor == cursor  # type: ignore[union-attr]
    monkeypatch.undo()
    assert _changed(keeper) == (station,)


def test_a_build_overtaken_by_another_process_is_thrown_away(
    world: World, keeper: PlaylistKeeper, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = make_station(world, "A1")
    morning = make_session(world, "A", targets=["A"])
    keeper.tick()
    other = PlaylistKeeper(
        database=world.database, clock=clock, horizon_days=2, timezone="Asia/Ho_Chi_Minh"
    )
    real = keeper_module.build_horizons

    def overtaken(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        monkeypatch.setattr(keeper_module, "build_horizons", real)
        assert other.tick() is not None  # another process writes its builds first
        return result

    _lengthen(world, morning)
    before = _versions(world)[station]
    monkeypatch.setattr(keeper_module, "build_horizons", overtaken)
    assert keeper.tick() is None  # its work is thrown away, not written over the other's
    assert _versions(world)[station] == before + 1
    assert keeper.tick() is None  # and nothing is left to do
