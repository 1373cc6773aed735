"""The playout decision: a pure function of the timeline and `now`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from stations.agent.decision import Entry, Layer, PlayoutTimeline
from stations.protocol import VolumeWindow

T0 = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # 05:30 in Hà Nội


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def entry(
    name: str,
    start_s: float,
    duration_s: float,
    *,
    layer: Layer = Layer.schedule,
    kind: str = "file",
    volume: int = 80,
) -> Entry:
    return Entry(
        id=name,
        layer=layer,
        start=at(start_s),
        duration_s=duration_s,
        kind=kind,
        sha256=None if kind == "relay" else hashlib.sha256(name.encode()).hexdigest(),
        url="http://vov.example/live" if kind == "relay" else f"/agent/v1/files/{name}",
        volume=volume,
        title=name,
    )


def ok(*entries: Entry) -> set[str]:
    return {e.sha256 for e in entries if e.sha256}


def plan(*windows: tuple[float, float, int]) -> list[VolumeWindow]:
    return [VolumeWindow(**{"from": at(a), "to": at(b), "volume": v}) for a, b, v in windows]


def test_soft_items_chain_and_the_next_is_known_for_a_gapless_start() -> None:
    a, b = entry("a", 0, 30), entry("b", 30, 45)
    timeline = PlayoutTimeline([a, b], [])
    first = timeline.decide(at(10), ok(a, b))
    assert first.entry == a and first.offset_s == 10
    assert first.following == b and first.next_change == at(30)
    second = timeline.decide(at(30), ok(a, b))
    assert second.entry == b and second.offset_s == 0 and second.next_change == at(75)


def test_a_hard_item_cuts_what_plays() -> None:
    soft, hard = entry("soft", 0, 120), entry("hard", 60, 30)
    timeline = PlayoutTimeline([soft, hard], [])
    assert timeline.decide(at(59.9), ok(soft, hard)).next_change == at(60)
    cut = timeline.decide(at(60), ok(soft, hard))
    assert cut.entry == hard and cut.offset_s == 0
    # When the hard item ends, the soft one is back where the clock says (if still running).
    back = timeline.decide(at(90), ok(soft, hard))
    assert back.entry == soft and back.offset_s == 90


def test_after_a_sessions_last_item_there_is_silence_until_the_next() -> None:
    last, tomorrow = entry("last", 0, 30), entry("tomorrow", 86_400, 30)
    timeline = PlayoutTimeline([last, tomorrow], plan((0, 1800, 80)))
    after = timeline.decide(at(31), ok(last, tomorrow))
    assert after.entry is None and after.unplayable is None
    assert after.next_change == at(1800)  # the session's end, then tomorrow's item
    assert timeline.decide(at(1800), ok(last)).next_change == at(86_400)


def test_joining_part_way_after_a_restart() -> None:
    item = entry("long", 0, 600)
    decision = PlayoutTimeline([item], []).decide(at(437.25), ok(item))
    assert (
        decision.entry == item and decision.offset_s == 437.25 and decision.next_change == at(600)
    )


def test_an_item_whose_file_is_not_verified_is_not_played() -> None:
    missing, next_one = entry("missing", 0, 30), entry("next", 30, 30)
    timeline = PlayoutTimeline([missing, next_one], [])
    decision = timeline.decide(at(5), ok(next_one))
    assert decision.entry is None and decision.unplayable == missing
    assert decision.next_change == at(30)
    assert timeline.decide(at(30), ok(next_one)).entry == next_one


def test_a_relay_is_played_as_a_stream_without_a_file() -> None:
    relay = entry("vov", 0, 900, kind="relay")
    decision = PlayoutTimeline([relay], []).decide(at(100), set())
    assert decision.entry == relay and decision.entry.url.startswith("http")
    assert decision.offset_s == 100


def test_the_volume_plan_sets_the_schedules_volume() -> None:
    a, b = entry("a", 0, 60, volume=80), entry("b", 60, 60, volume=80)
    timeline = PlayoutTimeline([a, b], plan((0, 60, 40), (60, 120, 100)))
    assert timeline.decide(at(10), ok(a, b)).volume == 40
    assert timeline.decide(at(70), ok(a, b)).volume == 100
    muted = PlayoutTimeline([a], plan((0, 60, 0)))
    assert muted.decide(at(10), ok(a)).volume == 0  # 0 is a volume, not "no plan"
    assert PlayoutTimeline([a], []).decide(at(10), ok(a)).volume == 80  # no plan: the item's own


def test_higher_layers_preempt_then_hand_back_by_the_clock() -> None:
    bulletin = entry("bulletin", 0, 600)
    priority = entry("priority", 100, 60, layer=Layer.priority, volume=90)
    storm = entry("storm", 120, 30, layer=Layer.emergency, volume=100)
    timeline = PlayoutTimeline([bulletin, priority, storm], plan((0, 1800, 70)))
    verified = ok(bulletin, priority, storm)
    assert timeline.decide(at(99), verified).next_change == at(100)
    interrupted = timeline.decide(at(100), verified)
    assert interrupted.entry == priority and interrupted.preempted == (bulletin,)
    assert interrupted.volume == 90
    emergency = timeline.decide(at(125), verified)
    assert emergency.entry == storm and emergency.offset_s == 5 and emergency.volume == 100
    assert emergency.preempted == (priority, bulletin) and emergency.next_change == at(150)
    # The emergency ends at 150: the priority item resumes where the clock says, 50 s in.
    resumed = timeline.decide(at(150), verified)
    assert resumed.entry == priority and resumed.offset_s == 50
    # It ends at 160: the bulletin resumes 160 s in, at the volume plan's level again.
    schedule = timeline.decide(at(160), verified)
    assert schedule.entry == bulletin and schedule.offset_s == 160 and schedule.volume == 70


def test_an_emergency_plays_even_when_nothing_is_scheduled() -> None:
    storm = entry("storm", 0, 30, layer=Layer.emergency, volume=100)
    decision = PlayoutTimeline([storm], []).decide(at(1), ok(storm))
    assert decision.entry == storm and decision.volume == 100 and decision.preempted == ()
