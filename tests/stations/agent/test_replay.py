"""Cut bulletins replayed at the end of their session (a pure function): taken out of their
slot, played whole after the session's last item in the order they were cut, only when
they still end before the session does, and only in sessions that ask for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stations.agent.decision import Entry, Layer
from stations.agent.replay import with_replays
from stations.protocol import ReplayWindow

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _entry(name: str, start_s: float, seconds: float, session_id: int | None = 1) -> Entry:
    return Entry(
        id=name,
        layer=Layer.schedule,
        start=T0 + timedelta(seconds=start_s),
        duration_s=seconds,
        kind="file",
        sha256="ab" * 32,
        url="/agent/v1/files/x",
        volume=80,
        title=name,
        content_id=1,
        session_id=session_id,
    )


def _window(session_id: int, start_s: float, end_s: float) -> ReplayWindow:
    return ReplayWindow(
        session_id=session_id,
        from_=T0 + timedelta(seconds=start_s),
        to=T0 + timedelta(seconds=end_s),
    )


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_cut_bulletins_play_again_after_the_last_item_in_the_order_they_were_cut() -> None:
    schedule = [_entry("a", 0, 30), _entry("b", 30, 20), _entry("c", 50, 10)]
    cuts = {"b": _at(35), "a": _at(10)}
    entries, missed = with_replays(schedule, [_window(1, 0, 300)], cuts)
    assert [(e.id, e.start, e.duration_s) for e in entries] == [
        ("c", _at(50), 10),
        ("a:replay", _at(60), 30),
        ("b:replay", _at(90), 20),
    ]
    assert missed == []


def test_a_replay_that_would_cross_the_session_end_is_missed_not_played() -> None:
    schedule = [_entry("a", 0, 30), _entry("b", 30, 25)]
    entries, missed = with_replays(schedule, [_window(1, 0, 80)], {"a": _at(5), "b": _at(40)})
    # a (30 s) would run 55–85 s, past the end at 80 s; b (25 s) still fits in its place
    assert [(e.id, e.start) for e in entries] == [("b:replay", _at(55))]
    assert [e.id for e in missed] == ["a"]


def test_sessions_without_a_window_and_other_days_are_left_as_they_are() -> None:
    today, tomorrow = _entry("a", 0, 30), _entry("a-next", 86_400, 30)
    other = _entry("x", 100, 30, session_id=2)
    schedule = [today, other, tomorrow]
    cuts = {"x": _at(110), "a-next": _at(86_410)}
    entries, missed = with_replays(schedule, [_window(1, 0, 300)], cuts)
    assert entries == schedule and missed == []
