"""Stations' days from the database: who plays what, shared builds, stable versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import select

from playlists.builder.domain import QuietHours
from playlists.content.models import ContentStatus
from playlists.sessions.models import PolicyIn
from playlists.sessions.policy import set_policy
from playlists.timelines.inputs import Plan, Rule, load_plan
from playlists.timelines.models import StationBuild, TimelineBody
from playlists.timelines.rebuild import build_horizons
from playlists.timelines.store import save_bodies, save_horizons
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import SETUP, make_group, make_station
from tests.world import World

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi


@dataclass(frozen=True)
class Report:
    stations: int
    rules: int
    timelines: int
    new_bodies: int
    changed: tuple[int, ...]


def _rebuild(world: World, now: datetime = NOW, station_ids: list[int] | None = None) -> Report:
    """What the keeper does in a tick, in one transaction: plan, build, store."""
    with world.database.session(write=True) as session:
        plan = load_plan(session=session, station_ids=station_ids)
        horizons, bodies, computed = build_horizons(plan, now=now, horizon_days=3)
        new_bodies = save_bodies(session=session, bodies=bodies, now=now)
        changed = save_horizons(session=session, horizons=horizons, now=now)
        session.commit()
    return Report(len(horizons), len(plan.rules), computed, new_bodies, tuple(changed))


def _builds(world: World) -> dict[int, StationBuild]:
    with world.database.session() as session:
        return {b.station_id: b for b in session.exec(select(StationBuild)).all()}


def test_stations_play_sessions_of_their_areas_and_groups(world: World) -> None:
    a1, a1_grouped, b1 = (make_station(world, a) for a in ("A1", "A1", "B1"))
    commune = make_session(world, "A", targets=["A"])
    province = make_session(world, "P", targets=["P"])
    other = make_session(world, "B", targets=["B"])
    group = make_group(world, "A", [a1_grouped])
    grouped = make_session(world, "A", targets=["A"])
    with world.database.session(write=True) as session:
        from playlists.sessions.models import SessionTarget

        session.add(SessionTarget(session_id=grouped, group_id=group))
        session.commit()
    with world.database.session() as session:
        rules = _station_rules(load_plan(session=session))
    assert rules[a1].session_ids == {commune, province, grouped}
    assert rules[a1_grouped].session_ids == {commune, province, grouped}
    assert rules[b1].session_ids == {province, other}
    assert rules[a1].timezone == "Asia/Ho_Chi_Minh"


def test_stations_with_the_same_rules_share_one_build(world: World) -> None:
    stations = [make_station(world, "A1") for _ in range(3)] + [make_station(world, "B1")]
    session_id = make_session(world, "P", targets=["P"], start=time(17, 0))
    queue_into(world, session_id, approved_audio(world, "A", seconds=90))
    set_quiet = PolicyIn(quiet_hours=[{"start": time(16), "end": time(18)}])  # type: ignore[list-item]
    with world.database.session(write=True) as session:
        set_policy(
            session=session, area_id=world.areas["B"], policy_in=set_quiet, actor=SETUP, now=NOW
        )
        session.commit()
    report = _rebuild(world)
    assert report.stations == 4 and report.rules == 2
    assert report.timelines == 2 * 3  # two rule sets, three days each
    builds = _builds(world)
    assert builds[stations[0]].days == builds[stations[2]].days
    assert builds[stations[0]].days != builds[stations[3]].days
    assert list(builds[stations[0]].days) == ["2026-12-01", "2026-12-02", "2026-12-03"]
    with world.database.session() as session:
        assert len(session.exec(select(TimelineBody)).all()) == report.new_bodies == 6
        rules = _station_rules(load_plan(session=session))
    assert rules[stations[3]].policy.quiet_hours == (QuietHours(start=time(16), end=time(18)),)


def test_version_moves_only_when_a_station_timeline_changes(world: World) -> None:
    a1, b1 = make_station(world, "A1"), make_station(world, "B1")
    session_id = make_session(world, "A", targets=["A"], start=time(17, 0))
    _rebuild(world)
    assert {s: b.version for s, b in _builds(world).items()} == {a1: 1, b1: 1}
    assert _rebuild(world).changed == ()
    queue_into(world, session_id, approved_audio(world, "A", seconds=90))
    assert _rebuild(world).changed == (a1,)
    assert {s: b.version for s, b in _builds(world).items()} == {a1: 2, b1: 1}
    moved_on = _rebuild(world, NOW + timedelta(days=1))
    assert moved_on.changed == (a1, b1)  # the horizon moved a day for everyone
    assert min(_builds(world)[a1].days) == "2026-12-02"


def test_queue_follows_the_lineage_and_reports_what_is_not_approved(world: World) -> None:
    station = make_station(world, "A1")
    session_id = make_session(world, "A", start=time(17, 0))
    content = approved_audio(world, "A", seconds=30, title="Lịch cắt điện")
    entry = queue_into(world, session_id, content)
    with world.database.session(write=True) as session:
        from playlists.content.models import ContentItem

        item = session.get(ContentItem, content)
        assert item is not None
        item.status = ContentStatus.archived
        session.add(item)
        session.commit()
    with world.database.session() as session:
        plan = load_plan(session=session, station_ids=[station])
    (rule,) = plan.rules
    inputs = plan.inputs(rule)
    assert inputs.content == ()
    assert [q.id for q in inputs.queue] == [entry]
    assert make_item(world, "A", status=ContentStatus.draft)  # drafts change nothing


def _station_rules(plan: Plan) -> dict[int, Rule]:
    return {station: rule for rule, stations in plan.rules.items() for station in stations}
