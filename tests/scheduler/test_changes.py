"""The change feed reads what each change says it affects, never the changed objects'
public fields: every event of a kind that decides what plays must say it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from core.audit.chain import Affects
from core.audit.models import AuditEvent
from playlists.sessions import crud as sessions_crud
from playlists.sessions import queue
from playlists.sessions.models import PolicyIn, SessionUpdate
from playlists.sessions.policy import set_policy
from scheduler.changes import TRACKED_KINDS, scope_of, stations_in
from stations import crud as stations_crud
from stations.models import StationGroupUpdate, StationUpdate
from tests.playlists.sessions.factories import make_entry, make_session
from tests.playlists.timelines.factories import approved_audio
from tests.stations.factories import SETUP, make_group, make_station
from tests.world import World, now


def _every_tracked_change(world: World) -> None:
    """One change or more of every kind the keeper tracks, through the data functions."""
    world.add_area(world.fresh_name("Thôn "), "A", "village")
    station = make_station(world, "A")
    group = make_group(world, "A", [station])
    entry = make_entry(world, "A", content_id=approved_audio(world, "A"))
    session_id = make_session(world, "B")
    with world.database.session(write=True) as session:
        set_policy(
            session=session,
            area_id=world.areas["A"],
            policy_in=PolicyIn(max_sessions_per_day=3),
            actor=SETUP,
            now=now(),
        )
        stations_crud.update_group(
            session=session,
            group=stations_crud.get_group(session=session, group_id=group),
            group_in=StationGroupUpdate(station_ids=[]),
            actor=SETUP,
            now=now(),
        )
        stations_crud.update_station(
            session=session,
            station=stations_crud.get_station(session=session, station_id=station),
            station_in=StationUpdate(area_id=world.areas["B"]),
            actor=SETUP,
            now=now(),
        )
        found = sessions_crud.get_broadcast_session(session=session, session_id=session_id)
        sessions_crud.update_session(
            session=session,
            found=found,
            session_in=SessionUpdate(target_area_ids=[world.areas["B1"]]),
            actor=SETUP,
            now=now(),
        )
        queue.delete_entry(
            session=session,
            entry=queue.get_entry(session=session, entry_id=entry),
            actor=SETUP,
            now=now(),
            area_id=world.areas["A"],
        )
        session.commit()


def test_every_event_of_a_tracked_kind_says_what_it_affects(world: World) -> None:
    _every_tracked_change(world)
    with world.database.session() as session:
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.object_type).in_(sorted(TRACKED_KINDS)))
        ).all()
    assert {e.object_type for e in events} == TRACKED_KINDS  # the test reaches every kind
    silent = [f"#{e.id} {e.action}" for e in events if e.affects_json is None]
    assert silent == []


def test_a_session_retargeted_rebuilds_where_it_was_and_where_it_goes(world: World) -> None:
    before = make_station(world, "B")
    after = make_station(world, "B1")
    elsewhere = make_station(world, "A")
    session_id = make_session(world, "B", targets=["B"])
    with world.database.session(write=True) as session:
        found = sessions_crud.get_broadcast_session(session=session, session_id=session_id)
        sessions_crud.update_session(
            session=session,
            found=found,
            session_in=SessionUpdate(target_area_ids=[world.areas["B1"]]),
            actor=SETUP,
            now=now(),
        )
        session.commit()
    with world.database.session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "session.update")).one()
        scope = scope_of([event])
        assert scope is not None
        reached = stations_in(session=session, scope=scope)
    assert {before, after} <= reached and elsewhere not in reached


def test_a_tracked_event_that_names_nothing_means_every_station() -> None:
    silent = AuditEvent(
        id=1,
        occurred_at=datetime(2026, 12, 1, tzinfo=UTC),
        actor_name="t",
        action="station.update",
        object_type="station",
        object_id="1",
        before_json="null",
        after_json="null",
        prev_hash="0" * 64,
        hash="x",
    )
    said = silent.model_copy(update={"affects_json": Affects.of(stations=[1]).to_json()})
    untracked = silent.model_copy(update={"object_type": "user", "action": "user.update"})
    assert scope_of([said, silent]) is None
    assert scope_of([said, untracked]) == Affects.of(stations=[1])
