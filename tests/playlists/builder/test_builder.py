"""The builder's rules on small, readable days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from playlists.builder.day import build_day
from playlists.builder.domain import DayInputs, PolicySpec, QuietHours, TierRank, Timing
from playlists.builder.serialize import timeline_bytes
from tests.playlists.builder.helpers import content, hard, once, session, soft

DAY = date(2026, 12, 1)  # a Tuesday
HCM = "Asia/Ho_Chi_Minh"


def _utc(hhmm: str) -> datetime:
    """A Hanoi wall-clock time on DAY (UTC+7 all year), as UTC."""
    hanoi = timezone(timedelta(hours=7))
    return datetime.combine(DAY, time.fromisoformat(hhmm), tzinfo=hanoi).astimezone(UTC)


def _inputs(**overrides: object) -> DayInputs:
    base: dict[str, object] = {"timezone": HCM, "sessions": (), "queue": (), "content": ()}
    return DayInputs.model_validate(base | overrides)


def test_soft_items_follow_each_other_priority_first() -> None:
    inputs = _inputs(
        sessions=(session(1, "05:30", 15),),
        content=(content(10, 120), content(11, 60, TierRank.priority), content(12, 30)),
        queue=(soft(100, 10, 1, order=1), soft(101, 11, 1, order=2), soft(102, 12, 1, order=3)),
    )
    timeline = build_day(inputs, DAY)
    assert [(i.content_id, i.start) for i in timeline.items] == [
        (11, _utc("05:30")),
        (10, _utc("05:31")),
        (12, _utc("05:33")),
    ]
    assert all(i.timing == Timing.soft and i.volume == 80 for i in timeline.items)
    assert timeline.warnings == ()


def test_hard_item_keeps_its_time_and_soft_items_flow_around_it() -> None:
    inputs = _inputs(
        sessions=(session(1, "05:30", 30),),
        content=(content(10, 240), content(11, 240), content(20, 60)),
        queue=(soft(100, 10, 1), soft(101, 11, 1, order=1), hard(200, 20, "05:33")),
    )
    items = build_day(inputs, DAY).items
    assert [(i.content_id, i.start, i.timing) for i in items] == [
        (20, _utc("05:33"), Timing.hard),
        (10, _utc("05:34"), Timing.soft),
        (11, _utc("05:38"), Timing.soft),
    ]


def test_nothing_crosses_the_session_end_and_the_rest_is_reported() -> None:
    inputs = _inputs(
        sessions=(session(1, "17:00", 5),),
        content=(content(10, 200), content(11, 200), content(12, 60)),
        queue=(soft(100, 10, 1), soft(101, 11, 1, order=1), soft(102, 12, 1, order=2)),
    )
    timeline = build_day(inputs, DAY)
    assert [i.content_id for i in timeline.items] == [10, 12]
    assert [(w.code, w.queue_id) for w in timeline.warnings] == [("does_not_fit", 101)]


def test_relay_for_a_fixed_length() -> None:
    inputs = _inputs(
        sessions=(session(1, "06:00", 45),),
        content=(content(30, None, stream_url="http://vov.vn/vov1"),),
        queue=(hard(300, 30, "06:00", relay_minutes=30),),
    )
    (item,) = build_day(inputs, DAY).items
    assert item.timing == Timing.relay and item.duration_s == 1800
    assert item.stream_url == "http://vov.vn/vov1" and item.session_id == 1


def test_quiet_hours_allow_only_emergencies() -> None:
    policy = PolicySpec(quiet_hours=(QuietHours(start=time(21, 0), end=time(5, 0)),))
    inputs = _inputs(
        policy=policy,
        sessions=(session(1, "22:00", 30), session(2, "04:45", 30)),
        content=(content(10, 60), content(11, 60, TierRank.emergency)),
        queue=(hard(100, 10, "23:00"), hard(101, 11, "23:30"), soft(102, 10, 2)),
    )
    timeline = build_day(inputs, DAY)
    assert [i.content_id for i in timeline.items] == [11]
    codes = {(w.code, w.session_id, w.queue_id) for w in timeline.warnings}
    assert ("session_in_quiet_hours", 2, None) in codes
    assert ("session_in_quiet_hours", 1, None) in codes
    assert ("in_quiet_hours", None, 100) in codes
    assert ("session_not_on_air", 2, 102) in codes


def test_caps_and_days_off() -> None:
    policy = PolicySpec(
        max_session_length_s=15 * 60, max_sessions_per_day=1, days_off=frozenset({5, 6})
    )
    inputs = _inputs(policy=policy, sessions=(session(1, "05:30", 45), session(2, "17:00", 45)))
    tuesday = build_day(inputs, DAY)
    assert {(w.code, w.session_id) for w in tuesday.warnings} == {
        ("too_many_sessions", 2),
        ("session_capped", 1),
    }
    saturday = build_day(inputs, date(2026, 12, 5))
    assert {w.code for w in saturday.warnings} == {"day_off"}


def test_validity_window_is_respected() -> None:
    inputs = _inputs(
        sessions=(session(1, "05:30", 15),),
        content=(content(10, 60, valid_until=_utc("05:30")), content(11, 60)),
        queue=(soft(100, 10, 1), soft(101, 11, 1, order=1)),
    )
    timeline = build_day(inputs, DAY)
    assert [i.content_id for i in timeline.items] == [11]
    assert [(w.code, w.queue_id) for w in timeline.warnings] == [("outside_validity", 100)]


def test_one_off_queue_entry_and_repeats() -> None:
    inputs = _inputs(
        sessions=(session(1, "05:30", 15),),
        content=(content(10, 60),),
        queue=(soft(100, 10, 1, repeat=3, recurrence=once(DAY)),),
    )
    assert len(build_day(inputs, DAY).items) == 3
    assert build_day(inputs, date(2026, 12, 2)).items == ()


def test_missing_content_is_reported() -> None:
    inputs = _inputs(sessions=(session(1, "05:30", 15),), queue=(soft(100, 99, 1),))
    assert [w.code for w in build_day(inputs, DAY).warnings] == ["content_unavailable"]


def test_input_order_does_not_change_a_byte() -> None:
    parts = {
        "sessions": (session(1, "05:30", 15), session(2, "17:00", 30)),
        "content": (content(10, 100), content(11, 50, TierRank.priority), content(12, 70)),
        "queue": (soft(100, 10, 1), soft(101, 11, 1), soft(102, 12, 2), hard(103, 12, "05:35")),
    }
    forward = _inputs(**parts)
    backward = _inputs(**{k: tuple(reversed(v)) for k, v in parts.items()})
    assert timeline_bytes(build_day(forward, DAY)) == timeline_bytes(build_day(backward, DAY))


def test_fixed_items_keep_days_off_and_their_session_being_disabled() -> None:
    saturday = date(2026, 12, 5)
    disabled = session(1, "05:30", 30).model_copy(update={"enabled": False})
    inputs = _inputs(
        policy=PolicySpec(days_off=frozenset({5, 6})),
        sessions=(disabled,),
        content=(content(10, 60), content(11, 60, TierRank.emergency)),
        queue=(
            hard(1, 10, "06:00"),
            hard(2, 11, "07:00"),
            hard(3, 10, "08:00").model_copy(update={"owner_id": 1}),
        ),
    )
    weekend = build_day(inputs, saturday)
    assert [i.queue_id for i in weekend.items] == [2]  # emergencies only
    assert {(w.code, w.queue_id) for w in weekend.warnings} >= {("day_off", 1), ("day_off", 3)}
    weekday = build_day(inputs, DAY)
    assert [i.queue_id for i in weekday.items] == [1, 2]
    assert ("session_disabled", 3) in {(w.code, w.queue_id) for w in weekday.warnings}


def test_a_replay_session_without_room_for_its_longest_bulletin_is_reported() -> None:
    """A session that replays cut bulletins does so after its last item: the builder says
    when what is left there could not hold the longest (a cut would then go unreplayed)."""
    full = session(1, "17:00", 5).model_copy(update={"after_cut": "replay"})
    roomy = session(2, "18:00", 10).model_copy(update={"after_cut": "replay"})
    resume = session(3, "19:00", 5)
    inputs = _inputs(
        sessions=(full, roomy, resume),
        content=(content(10, 200), content(11, 90)),
        queue=(
            soft(100, 10, 1),
            soft(101, 11, 1, order=1),
            soft(102, 10, 2),
            soft(103, 10, 3),
            soft(104, 11, 3, order=1),
        ),
    )
    timeline = build_day(inputs, DAY)
    assert [(w.code, w.session_id) for w in timeline.warnings] == [("no_room_to_replay", 1)]
    [warning] = timeline.warnings
    assert warning.message == "no room to replay: 10 s left after its last item, 200 s needed"
    replays = {w.session_id: w.after_cut for w in timeline.sessions}
    assert replays == {1: "replay", 2: "replay", 3: "resume"}
