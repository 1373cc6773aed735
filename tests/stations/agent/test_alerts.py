"""Alerts as the emergency layer: when each repetition plays (a pure function of the alerts),
and what the engine does with them over the schedule."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stations.agent.alerts import alert_entries
from stations.agent.decision import Entry, Layer, PlayoutTimeline
from stations.protocol import AlertRepeat, ManifestAlert
from tests.audio.fake_player import Call
from tests.stations.agent.test_decision import at, entry, ok
from tests.stations.agent.test_engine import Rig

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIO = hashlib.sha256(b"storm").hexdigest()
CHIME = hashlib.sha256(b"chime").hexdigest()


def alert(
    alert_id: str = "storm",
    *,
    starts: float = 0,
    lasts: float = 86400,
    duration_s: float = 30,
    **fields: Any,
) -> ManifestAlert:
    """An Actual alert of 30 s of audio from `at(starts)` for `lasts` seconds."""
    values: dict[str, Any] = {
        "id": alert_id,
        "status": "Actual",
        "starts": at(starts),
        "expires": at(starts + lasts),
        "sha256": AUDIO,
        "duration_s": duration_s,
        "volume": 100,
        "title": "Bão số 9",
    }
    return ManifestAlert(**(values | fields))


def entries(*alerts: ManifestAlert, **options: Any) -> list[Entry]:
    options.setdefault("timezone", "Asia/Ho_Chi_Minh")
    options.setdefault("plays_test_alerts", False)
    return alert_entries(alerts, **options)


def starts(*alerts: ManifestAlert, **options: Any) -> list[datetime]:
    return [e.start for e in entries(*alerts, **options)]


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


def test_an_alert_without_a_plan_plays_once_at_its_start() -> None:
    [only] = entries(alert(starts=100))
    assert (only.id, only.layer, only.start, only.duration_s) == (
        "alert:storm#1",
        Layer.emergency,
        at(100),
        30,
    )
    assert (only.kind, only.sha256, only.url) == ("file", AUDIO, f"/agent/v1/files/{AUDIO}")
    assert (only.volume, only.title, only.content_id) == (100, "Bão số 9", None)


def test_a_count_plays_that_many_times_interval_apart_start_to_start() -> None:
    repeated = alert(repeat=AlertRepeat(count=3, interval_s=600))
    assert starts(repeated) == [at(0), at(600), at(1200)]
    assert [e.id for e in entries(repeated)] == ["alert:storm#1", "alert:storm#2", "alert:storm#3"]


def test_a_count_with_an_interval_shorter_than_a_play_plays_back_to_back() -> None:
    repeated = alert(repeat=AlertRepeat(count=3, interval_s=10))
    assert starts(repeated) == [at(0), at(30), at(60)]  # never cutting itself


def test_hourly_plays_at_once_then_on_each_local_hour_of_the_window_day_after_day() -> None:
    # Issued 05:30 in Hà Nội (22:30 UTC the day before); the window 06:00-08:00 local
    # straddles the UTC day boundary; it expires at 07:30 local the next day.
    issued = local(30, 5, 30)
    window = AlertRepeat(hourly_from=time(6), hourly_to=time(8))
    hourly = alert(
        starts=(issued - at(0)).total_seconds(),
        lasts=26 * 3600,
        repeat=window,
    )
    assert starts(hourly) == [
        issued,
        local(30, 6),
        local(30, 7),  # not 08:00: the window's end is not in it
        local(30, 6) + timedelta(days=1),
        local(30, 7) + timedelta(days=1),
    ]
    assert local(30, 6).hour == 23 and local(30, 6).day == 29  # the UTC day before


def test_an_hourly_window_may_run_across_midnight() -> None:
    night = alert(
        starts=(local(30, 21, 10) - at(0)).total_seconds(),
        lasts=6 * 3600,
        repeat=AlertRepeat(hourly_from=time(22), hourly_to=time(2)),
    )
    begin = local(30, 21, 10)
    assert starts(night) == [begin] + [local(30, 22) + timedelta(hours=h) for h in range(4)]


def test_an_alert_issued_on_the_hour_plays_once_then_and_not_twice() -> None:
    on_the_hour = alert(
        starts=(local(30, 6) - at(0)).total_seconds(),
        lasts=7200,
        repeat=AlertRepeat(hourly_from=time(0), hourly_to=time(0)),  # all day
    )
    assert starts(on_the_hour) == [local(30, 6), local(30, 7)]


def test_a_repetition_starts_only_before_expiry_and_then_plays_whole() -> None:
    repeated = alert(lasts=1210, repeat=AlertRepeat(count=5, interval_s=600))
    plays = entries(repeated)
    assert [e.start for e in plays] == [at(0), at(600), at(1200)]
    assert plays[-1].end == at(1230)  # past its expiry at 1210: not cut


def test_an_alert_that_expires_before_it_starts_yields_nothing() -> None:
    assert entries(alert(starts=100, lasts=0)) == []
    assert entries(alert(starts=100, lasts=-50)) == []


def test_an_expired_alert_never_starts() -> None:
    repeated = alert(lasts=1800, repeat=AlertRepeat(count=10, interval_s=600))
    timeline = PlayoutTimeline(entries(repeated), [])
    assert timeline.decide(at(1800), ok(*entries(repeated))).entry is None
    assert timeline.decide(at(7200), ok(*entries(repeated))).entry is None


def test_an_update_drops_the_alerts_it_replaces() -> None:
    first = alert("storm", repeat=AlertRepeat(count=3, interval_s=600))
    update = alert("storm-2", starts=300, replaces=["storm", "storm-2"])
    assert [e.id for e in entries(first, update)] == ["alert:storm-2#1"]


def test_a_cancelled_alert_is_dropped() -> None:
    storm, flood = alert("storm"), alert("flood", starts=100)
    assert [e.id for e in entries(storm, flood, cancelled={"storm"})] == ["alert:flood#1"]


@pytest.mark.parametrize("status", ["Test", "Exercise"])
def test_test_and_exercise_alerts_play_only_where_accepted(status: str) -> None:
    drill = alert(status=status)
    assert entries(drill) == []
    assert [e.id for e in entries(drill, plays_test_alerts=True)] == ["alert:storm#1"]


def test_the_chime_plays_before_each_repetition() -> None:
    chimed = alert(
        chime_sha256=CHIME, chime_duration_s=3, repeat=AlertRepeat(count=2, interval_s=600)
    )
    plays = entries(chimed)
    assert [(e.id, e.start, e.duration_s, e.sha256) for e in plays] == [
        ("alert:storm#1:chime", at(0), 3, CHIME),
        ("alert:storm#1", at(3), 30, AUDIO),
        ("alert:storm#2:chime", at(600), 3, CHIME),
        ("alert:storm#2", at(603), 30, AUDIO),
    ]
    assert {(e.kind, e.volume, e.layer) for e in plays} == {("file", 100, Layer.emergency)}


def test_a_relay_alert_plays_its_stream() -> None:
    relayed = alert(sha256=None, url="http://vov.example/khan-cap", duration_s=300)
    [only] = entries(relayed)
    assert (only.kind, only.sha256, only.url, only.duration_s) == (
        "relay",
        None,
        "http://vov.example/khan-cap",
        300,
    )


def test_an_alert_with_nothing_to_play_or_no_length_yields_nothing() -> None:
    assert entries(alert(sha256=None)) == []
    assert entries(alert(duration_s=0)) == []


def test_the_expansion_stops_at_the_manifests_horizon() -> None:
    hourly_for_a_month = alert(lasts=30 * 86400, repeat=AlertRepeat(count=1000, interval_s=3600))
    plays = starts(hourly_for_a_month)
    assert len(plays) == 8 * 24 and plays[-1] < at(8 * 86400)


def test_entry_ids_are_stable_distinct_and_fit_an_as_run_record() -> None:
    long_id = "x" * 100
    repeated = alert(long_id, chime_sha256=CHIME, chime_duration_s=3)
    ids = [e.id for e in entries(repeated, alert("y" * 100))]
    assert ids == [e.id for e in entries(repeated, alert("y" * 100))]
    assert len(set(ids)) == 3 and all(len(i) <= 100 for i in ids)


def test_an_unknown_time_zone_counts_hours_in_vietnam_time() -> None:
    hourly = alert(lasts=3 * 3600, repeat=AlertRepeat(hourly_from=time(0), hourly_to=time(0)))
    assert starts(hourly, timezone="Mars/Olympus") == starts(hourly)


def test_an_alert_preempts_the_schedule_which_resumes_by_the_clock(tmp_path: Path) -> None:
    bulletin = entry("bulletin", 0, 600)
    storm = alert(starts=100, chime_sha256=CHIME, chime_duration_s=3)
    rig = Rig(tmp_path, [bulletin, *entries(storm)])
    for second in (0, 100, 103, 133):
        rig.engine.step(at(second))
    assert rig.player.calls == [
        Call("http://fake/bulletin", 0, 80),
        Call("http://fake/alert:storm#1:chime", 0, 100),
        Call("http://fake/alert:storm#1", 0, 100),
        Call("http://fake/bulletin", 133, 80),  # part-way, where the clock says
    ]
    rig.engine.step(at(600))
    records = [(r.item_id, r.content_id, r.result) for r in rig.records()]
    assert records == [
        ("bulletin", None, "preempted"),
        ("alert:storm#1:chime", None, "played"),
        ("alert:storm#1", None, "played"),
        ("bulletin", None, "partial"),
    ]
