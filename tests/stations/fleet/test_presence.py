"""Station health history: online spells from heartbeats, with the offline threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from stations.fleet.health import HeartbeatBuffer
from stations.fleet.models import StationAgent
from stations.fleet.presence import Spell, online_at, online_seconds, spells_between
from stations.protocol import Heartbeat
from tests.stations.fleet.factories import enrolled_station
from tests.world import World

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
OFFLINE_AFTER = timedelta(seconds=180)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _beat(**fields: object) -> Heartbeat:
    return Heartbeat.model_validate(
        {"clock_offset_ms": 0, "agent_version": "t", "uptime_s": 1, **fields}
    )


def test_beats_within_the_threshold_make_one_spell_and_a_gap_opens_another(
    world: World,
) -> None:
    station, _token = enrolled_station(world, "A1")
    buffer = HeartbeatBuffer(world.database, offline_after=OFFLINE_AFTER)
    for seconds in (0, 60, 120, 900, 960):  # silent from 120 s to 900 s: offline
        buffer.add(station_id=station, beat=_beat(), now=_at(seconds))
        buffer.flush()
    with world.database.session() as session:
        spells = spells_between(session=session, station_id=station, start=T0, end=_at(3600))
    assert spells == [Spell(_at(0), _at(120)), Spell(_at(900), _at(960))]
    assert online_seconds(spells, T0, _at(3600)) == 180.0
    assert online_at(spells, _at(200), OFFLINE_AFTER)  # not yet three missed beats
    assert not online_at(spells, _at(400), OFFLINE_AFTER)


def test_a_heartbeat_says_what_the_station_still_has_to_upload(world: World) -> None:
    station, _token = enrolled_station(world, "A1")
    buffer = HeartbeatBuffer(world.database, offline_after=OFFLINE_AFTER)
    buffer.add(
        station_id=station, beat=_beat(asrun_pending=3, asrun_pending_since=_at(-50)), now=T0
    )
    buffer.flush()
    with world.database.session() as session:
        agent = session.exec(select(StationAgent).where(StationAgent.station_id == station)).one()
    assert (agent.asrun_pending, agent.asrun_pending_since) == (3, _at(-50))


spell_lists = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 2_000)).map(
        lambda t: Spell(_at(t[0]), _at(t[0] + t[1]))
    ),
    max_size=6,
)


@given(spell_lists, st.integers(0, 12_000), st.integers(0, 12_000))
def test_online_time_is_bounded_by_the_window_and_adds_up_over_a_split(
    spells: list[Spell], a: int, b: int
) -> None:
    start, end = _at(min(a, b)), _at(max(a, b))
    middle = start + (end - start) / 2
    total = online_seconds(spells, start, end)
    assert 0 <= total <= (end - start).total_seconds() * max(len(spells), 1)
    halves = online_seconds(spells, start, middle) + online_seconds(spells, middle, end)
    assert abs(total - halves) < 1e-6


def test_a_spell_out_of_step_with_the_last_seen_heals_at_the_next_beat(world: World) -> None:
    """Two processes flushing one station at once: the agent row may keep the older beat.
    The next beat still extends the latest spell (read from the spells themselves)."""
    station, _token = enrolled_station(world, "A1")
    buffer = HeartbeatBuffer(world.database, offline_after=OFFLINE_AFTER)
    buffer.add(station_id=station, beat=_beat(), now=_at(60))
    buffer.flush()
    buffer.add(station_id=station, beat=_beat(), now=_at(0))  # the slower process, late
    buffer.flush()
    buffer.add(station_id=station, beat=_beat(), now=_at(120))
    buffer.flush()
    with world.database.session() as session:
        spells = spells_between(session=session, station_id=station, start=T0, end=_at(3600))
    assert spells == [Spell(_at(60), _at(120))]
