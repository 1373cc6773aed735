"""The playout engine against the fake player, at explicit moments: what it asks the player
to do and what it records."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stations.agent.decision import Entry, Layer, PlayoutTimeline
from stations.agent.engine import PlayoutEngine
from stations.agent.outbox import Outbox
from stations.protocol import AsRunRecord
from tests.audio.fake_player import Call, FakePlayer
from tests.stations.agent.test_decision import at, entry, ok, plan


class Rig:
    def __init__(
        self,
        tmp_path: Path,
        entries: list[Entry],
        *,
        verified: set[str] | None = None,
        volume_plan=None,
    ) -> None:  # type: ignore[no-untyped-def]
        self.player = FakePlayer()
        self.clock = at(0)  # what the engine's clock says when the player reports
        self.outbox = Outbox(tmp_path / "outbox.sqlite3")
        self.timeline = PlayoutTimeline(entries, volume_plan or [])
        self.verified = ok(*entries) if verified is None else verified
        self.engine = PlayoutEngine(
            player=self.player,
            outbox=self.outbox,
            timeline=lambda _now: self.timeline,
            verified=lambda sha: sha in self.verified,
            source_for=lambda e: f"http://fake/{e.id}",
            now=lambda: self.clock,
            offset_ms=lambda: 12,
        )

    def records(self) -> list[AsRunRecord]:
        return self.outbox.pending(100)


@pytest.fixture
def tmp(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_an_item_on_time_is_played_and_recorded_with_planned_and_actual_times(tmp: Path) -> None:
    a, b = entry("a", 0, 30), entry("b", 30, 30)
    rig = Rig(tmp, [a, b])
    rig.engine.step(at(0.004))
    assert rig.player.calls == [Call("http://fake/a", 0, 80)]  # 4 ms late: from the top
    assert rig.records() == []  # open while it plays
    rig.engine.step(at(30.002))
    [played] = rig.records()
    assert played.item_id == "a" and played.result == "played"
    assert played.planned_start == at(0) and played.started_at == at(0.004)
    assert played.ended_at == at(30.002) and played.clock_offset_ms == 12
    assert rig.player.calls[-1].source == "http://fake/b"


def test_a_start_later_than_the_slack_seeks_and_is_recorded_partial(tmp: Path) -> None:
    a = entry("a", 0, 30)
    rig = Rig(tmp, [a])
    rig.engine.step(at(0.3))
    assert rig.player.calls == [Call("http://fake/a", 0.3, 80)]
    rig.engine.step(at(30))
    [joined] = rig.records()
    assert (joined.result, joined.error) == ("partial", "joined part-way")


def test_the_next_item_sounds_before_the_last_ones_record_is_written(tmp: Path) -> None:
    a, b = entry("a", 0, 30), entry("b", 30, 30)
    rig = Rig(tmp, [a, b])
    rig.engine.step(at(0))
    seen: list[int] = []
    rig.player.subscribe(lambda _: seen.append(len(rig.records())))
    rig.engine.step(at(30))
    assert seen and seen[0] == 0  # b was playing before a's record was committed
    assert [r.item_id for r in rig.records()] == ["a"]


def test_joining_part_way_is_recorded_as_partial(tmp: Path) -> None:
    a = entry("a", 0, 600)
    rig = Rig(tmp, [a])
    rig.engine.step(at(200))
    assert rig.player.calls == [Call("http://fake/a", 200, 80)]
    rig.engine.step(at(600))
    [record] = rig.records()
    assert record.result == "partial" and record.error == "joined part-way"


def test_an_emergency_preempts_and_the_schedule_resumes_by_the_clock(tmp: Path) -> None:
    bulletin = entry("bulletin", 0, 600)
    storm = entry("storm", 100, 30, layer=Layer.emergency, volume=100)
    rig = Rig(tmp, [bulletin, storm])
    rig.engine.step(at(0))
    rig.engine.step(at(100))
    assert rig.player.calls[-1] == Call("http://fake/storm", 0, 100)
    rig.engine.step(at(130))
    assert rig.player.calls[-1] == Call("http://fake/bulletin", 130, 80)
    rig.engine.step(at(600))
    results = [(r.item_id, r.result) for r in rig.records()]
    assert results == [("bulletin", "preempted"), ("storm", "played"), ("bulletin", "partial")]


def test_an_unverified_file_is_skipped_once_and_the_next_plays(tmp: Path) -> None:
    missing, b = entry("missing", 0, 30), entry("b", 30, 30)
    rig = Rig(tmp, [missing, b], verified=ok(b))
    rig.engine.step(at(0))
    rig.engine.step(at(10))
    assert rig.player.calls == []
    [skipped] = rig.records()
    assert skipped.result == "skipped" and skipped.item_id == "missing"
    assert skipped.started_at is None and skipped.planned_start == at(0)
    rig.engine.step(at(30))
    assert rig.player.calls == [Call("http://fake/b", 0, 80)]


def test_a_player_failure_is_recorded_and_the_next_item_still_starts(tmp: Path) -> None:
    relay, b = entry("vov", 0, 60, kind="relay"), entry("b", 60, 30)
    rig = Rig(tmp, [relay, b])
    rig.engine.step(at(0))
    rig.player.fail("stream unreachable")
    rig.engine.step(at(10))  # silence: the relay is not retried
    assert len(rig.player.calls) == 1
    [failed] = rig.records()
    assert failed.result == "failed" and failed.error == "stream unreachable"
    rig.engine.step(at(60))
    assert rig.player.calls[-1] == Call("http://fake/b", 0, 80)
    assert [r.result for r in rig.records()] == ["failed"]  # b plays, still open


def test_a_relay_whose_stream_drops_is_recorded_partial_and_the_next_starts(tmp: Path) -> None:
    relay, b = entry("vov", 0, 600, kind="relay"), entry("b", 600, 30)
    rig = Rig(tmp, [relay, b])
    rig.engine.step(at(0))
    rig.clock = at(200)
    rig.player.end()  # the stream ended 400 s early
    [dropped] = rig.records()
    assert dropped.result == "partial" and dropped.ended_at == at(200)
    assert dropped.error == "the stream stopped 400 s before the relay's end"
    rig.engine.step(at(200))  # silence until b: the relay is not retried
    assert len(rig.player.calls) == 1
    rig.engine.step(at(600))
    assert rig.player.calls[-1] == Call("http://fake/b", 0, 80)


def test_a_files_early_end_is_not_a_failure(tmp: Path) -> None:
    a = entry("a", 0, 30)
    rig = Rig(tmp, [a])
    rig.engine.step(at(0))
    rig.clock = at(20)
    rig.player.end()  # an unpaced output: the engine's clock decides the end
    assert rig.records() == []
    rig.engine.step(at(30))
    assert [r.result for r in rig.records()] == ["played"]


def test_the_volume_plan_is_applied_while_an_item_plays(tmp: Path) -> None:
    a = entry("a", 0, 120)
    rig = Rig(tmp, [a], volume_plan=plan((0, 60, 50), (60, 120, 90)))
    rig.engine.step(at(0))
    assert rig.player.calls == [Call("http://fake/a", 0, 50)]
    rig.engine.step(at(60))
    assert rig.player.volumes == [90] and len(rig.player.calls) == 1


def test_an_item_interrupted_by_a_kill_is_closed_as_partial_after_restart(tmp: Path) -> None:
    a = entry("a", 0, 600)
    rig = Rig(tmp, [a])
    rig.engine.step(at(0))
    rig.outbox.mark_alive(at(250))
    rig.outbox.close()  # SIGKILL here: nothing else runs
    restarted = Rig(tmp, [a])
    assert restarted.outbox.close_interrupted(at(400)) == 1
    restarted.engine.step(at(400))
    assert restarted.player.calls == [Call("http://fake/a", 400, 80)]  # joins part-way
    [interrupted] = restarted.records()
    assert interrupted.result == "partial" and interrupted.ended_at == at(250)
    assert timedelta(seconds=250) == interrupted.ended_at - at(0)


def test_the_run_loop_wakes_at_each_change_on_its_own(tmp: Path) -> None:
    """Real time, short: two items 0.3 s apart starting 0.2 s from now; the loop starts each
    at its time (never before), without being poked. How close to it is the playout
    benchmark's business; the bound here only catches a loop that oversleeps."""
    start = datetime.now(UTC) + timedelta(seconds=0.2)
    a = Entry("a", Layer.schedule, start, 0.3, "file", "a" * 64, "/a", 80, "a")
    b = Entry(
        "b", Layer.schedule, start + timedelta(seconds=0.3), 0.3, "file", "b" * 64, "/b", 80, "b"
    )
    rig = Rig(tmp, [a, b])
    started: list[tuple[str, datetime]] = []
    rig.engine._now = lambda: datetime.now(UTC)  # type: ignore[method-assign]
    original = rig.player.play

    def play(source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        started.append((source, datetime.now(UTC)))
        original(source, offset_s=offset_s, volume=volume)

    rig.player.play = play  # type: ignore[method-assign]

    async def run_for(seconds: float) -> None:
        task = asyncio.create_task(rig.engine.run())
        await asyncio.sleep(seconds)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run_for(1.0))
    assert [s for s, _ in started] == ["http://fake/a", "http://fake/b"]
    for (_, when), planned in zip(started, (a.start, b.start), strict=True):
        assert timedelta(0) <= when - planned < timedelta(milliseconds=250)
    results = [(r.item_id, r.result) for r in rig.records()]
    assert results == [("a", "played"), ("b", "played")]


def test_the_file_that_plays_from_the_top_at_the_next_change_is_prepared(tmp: Path) -> None:
    a, gap, c = entry("a", 0, 30), entry("gap", 40, 10, kind="relay"), entry("c", 60, 30)
    rig = Rig(tmp, [a, gap, c], verified=ok(a, c))
    rig.engine.step(at(0.004))
    assert rig.player.prepared == []  # the next change is a's end: nothing plays then
    rig.engine.step(at(30))
    assert rig.player.prepared == []  # a relay (a stream) is not prepared
    rig.engine.step(at(40))
    rig.engine.step(at(50))
    assert rig.player.prepared == ["http://fake/c"]
    rig.engine.step(at(60.003))
    assert rig.player.calls[-1] == Call("http://fake/c", 0, 80)


def test_a_file_not_verified_or_still_playing_at_the_next_change_is_not_prepared(
    tmp: Path,
) -> None:
    a, b = entry("a", 0, 30), entry("b", 30, 30)
    rig = Rig(tmp, [a, b], verified=ok(a))
    rig.engine.step(at(0))
    assert rig.player.prepared == []  # b would be skipped
    rig.verified = ok(a, b)
    rig.engine.step(at(1))  # a plays on; b is verified now
    assert rig.player.prepared == ["http://fake/b"]
    rig.engine.step(at(30))
    assert rig.player.prepared == ["http://fake/b"]  # nothing after b
