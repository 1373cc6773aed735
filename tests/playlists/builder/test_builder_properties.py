"""Property-based tests of the builder over generated sessions, queues and policies."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from playlists.builder.day import build_day
from playlists.builder.domain import (
    ContentSpec,
    DayInputs,
    PolicySpec,
    QueueSpec,
    QuietHours,
    SessionSpec,
    TierRank,
    Timing,
)
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.builder.serialize import timeline_bytes

DAILY = Recurrence(repeat=Repeat.daily)
# Ordinary days and both daylight-saving changes in Berlin.
DAYS = [date(2026, 12, 1), date(2026, 3, 29), date(2026, 10, 25), date(2026, 12, 5)]
ZONES = ["Asia/Ho_Chi_Minh", "Europe/Berlin"]

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def day_inputs(draw: st.DrawFn) -> tuple[DayInputs, date]:
    day = draw(st.sampled_from(DAYS))
    sessions = tuple(
        SessionSpec(
            id=i,
            name=f"s{i}",
            start=draw(times),
            volume=draw(st.integers(0, 100)),
            max_length_s=draw(st.integers(5, 90)) * 60,
            recurrence=DAILY,
        )
        for i in range(1, draw(st.integers(0, 4)) + 1)
    )
    content = []
    for i in range(1, draw(st.integers(1, 8)) + 1):
        valid_until = None
        if draw(st.booleans()):
            valid_until = datetime.combine(day, time(draw(st.integers(0, 23))), tzinfo=UTC)
        content.append(
            ContentSpec(
                id=i,
                title=f"c{i}",
                tier=draw(st.sampled_from(list(TierRank))),
                duration_s=draw(st.integers(10, 900)),
                valid_until=valid_until,
            )
        )
    queue = []
    for i in range(1, draw(st.integers(0, 15)) + 1):
        content_id = draw(st.integers(1, len(content) + 1))  # sometimes missing
        if draw(st.booleans()) and sessions:
            queue.append(
                QueueSpec(
                    id=i,
                    content_id=content_id,
                    recurrence=DAILY,
                    session_id=draw(st.integers(1, len(sessions) + 1)),
                    repeat=draw(st.integers(1, 3)),
                    order=draw(st.integers(0, 5)),
                )
            )
        else:
            relay = draw(st.none() | st.integers(1, 30))
            queue.append(
                QueueSpec(
                    id=i,
                    content_id=content_id,
                    recurrence=DAILY,
                    at=draw(times),
                    relay_length_s=relay * 60 if relay else None,
                )
            )
    quiet = ()
    if draw(st.booleans()):
        quiet = (QuietHours(start=draw(times), end=draw(times)),)
    policy = PolicySpec(
        quiet_hours=quiet,
        max_session_length_s=draw(st.none() | st.integers(5, 60).map(lambda m: m * 60)),
        max_sessions_per_day=draw(st.none() | st.integers(0, 3)),
        days_off=frozenset(draw(st.sets(st.integers(0, 6), max_size=2))),
    )
    inputs = DayInputs(
        timezone=draw(st.sampled_from(ZONES)),
        sessions=sessions,
        queue=tuple(queue),
        content=tuple(content),
        policy=policy,
    )
    return inputs, day


def _local_start(inputs: DayInputs, day: date, session: SessionSpec) -> datetime:
    return (
        datetime.combine(day, session.start)
        .replace(tzinfo=ZoneInfo(inputs.timezone), fold=0)
        .astimezone(UTC)
    )


def _quiet(inputs: DayInputs, day: date) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(inputs.timezone)
    spans = []
    for q in inputs.policy.quiet_hours:
        for offset in (-1, 0, 1):
            first = day + timedelta(days=offset)
            last = first + timedelta(days=1) if q.end <= q.start else first
            spans.append(
                (
                    datetime.combine(first, q.start).replace(tzinfo=zone).astimezone(UTC),
                    datetime.combine(last, q.end).replace(tzinfo=zone).astimezone(UTC),
                )
            )
    return spans


@settings(max_examples=300, deadline=None)
@given(day_inputs())
def test_builder_properties(case: tuple[DayInputs, date]) -> None:
    inputs, day = case
    timeline = build_day(inputs, day)
    items = timeline.items
    # No two items overlap.
    for earlier, later in pairwise(items):
        assert earlier.end <= later.start
    sessions = {s.id: s for s in inputs.sessions}
    cap = inputs.policy.max_session_length_s
    for item in items:
        if item.timing != Timing.soft:
            continue
        # Every soft item lies inside its session, capped by policy.
        session = sessions[item.session_id or 0]
        start = _local_start(inputs, day, session)
        length = min(session.max_length_s, cap or session.max_length_s)
        assert start <= item.start and item.end <= start + timedelta(seconds=length)
    # The session windows given to the agent (its volume plan) hold their soft items and
    # do not overlap one another.
    windows = {w.session_id: w for w in timeline.sessions}
    for earlier_window, later_window in pairwise(timeline.sessions):
        assert earlier_window.end <= later_window.start
    for item in items:
        if item.timing == Timing.soft:
            window = windows[item.session_id or 0]
            assert window.start <= item.start and item.end <= window.end
    # At most the allowed number of sessions; none on days off.
    on_air = {i.session_id for i in items if i.timing == Timing.soft}
    if inputs.policy.max_sessions_per_day is not None:
        assert len(on_air) <= inputs.policy.max_sessions_per_day
    if day.weekday() in inputs.policy.days_off:
        assert not on_air
    # Quiet hours hold nothing but emergencies.
    for q_start, q_end in _quiet(inputs, day):
        for item in items:
            if item.tier != TierRank.emergency:
                assert not (item.start < q_end and item.end > q_start)
    # Tiers are ordered within a session.
    for session_id in on_air:
        tiers = [i.tier for i in items if i.session_id == session_id and i.timing == Timing.soft]
        assert tiers == sorted(tiers)
    # Content is used only inside its validity window.
    content = {c.id: c for c in inputs.content}
    assert all(content[i.content_id].valid_during(i.start, i.end) for i in items)
    # Whatever was queued for today and not fully placed is in the warnings.
    warned = {w.queue_id for w in timeline.warnings}
    for entry in inputs.queue:
        placed = sum(1 for i in items if i.queue_id == entry.id)
        assert placed == entry.repeat or entry.id in warned, entry
    # Deterministic, whatever the order of the inputs.
    shuffled = inputs.model_copy(
        update={
            "sessions": tuple(random.Random(1).sample(inputs.sessions, len(inputs.sessions))),
            "queue": tuple(random.Random(2).sample(inputs.queue, len(inputs.queue))),
            "content": tuple(random.Random(3).sample(inputs.content, len(inputs.content))),
        }
    )
    assert timeline_bytes(build_day(shuffled, day)) == timeline_bytes(timeline)


def test_the_generator_reaches_busy_days() -> None:
    """The properties above are not vacuous: generated days do fill up."""
    # Found, not shrunk: the smallest busy day is not the point, and shrinking took 40 s.
    found = settings(max_examples=2000, database=None, phases=[Phase.generate])
    busy = find(day_inputs(), lambda case: len(build_day(*case).items) >= 6, settings=found)
    assert len(build_day(*busy).items) >= 6
    soft = find(
        day_inputs(),
        lambda case: sum(i.timing == Timing.soft for i in build_day(*case).items) >= 3,
        settings=found,
    )
    assert soft
