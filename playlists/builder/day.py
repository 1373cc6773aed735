"""The daily playlist builder: a pure function of its inputs and the day.

Rules (DESIGN.md, timing model): hard items and relays start at their time, higher tiers
winning a clash; soft items fill their session in tier order (emergency, priority,
normal), then queue order, flowing around hard items; nothing crosses its session's end
or falls in quiet hours (emergencies excepted); content is used only inside its validity
window. Whatever cannot be placed is reported in the warnings, never dropped silently.
Inputs are sorted first, so the same inputs in any order give the same timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playlists.builder.domain import (
    BuildWarning,
    ContentSpec,
    DayInputs,
    PolicySpec,
    QueueSpec,
    SessionSpec,
    SessionWindow,
    TierRank,
    Timeline,
    TimelineItem,
    Timing,
)
from playlists.builder.localtime import local_to_utc

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Window:
    session: SessionSpec
    start: datetime
    end: datetime


class _Day:
    """The working state of one build: inputs by id, placed items, warnings."""

    def __init__(self, inputs: DayInputs, day: date) -> None:
        self.day = day
        self.zone = ZoneInfo(inputs.timezone)
        self.policy = inputs.policy
        self.content = {c.id: c for c in inputs.content}
        self.sessions = sorted(inputs.sessions, key=lambda s: (s.start, s.id))
        self.queue = sorted(
            (q for q in inputs.queue if q.recurrence.occurs_on(day)), key=lambda q: (q.order, q.id)
        )
        self.quiet = _quiet_intervals(self.policy, day, self.zone)
        self.owners = {s.id: s for s in inputs.sessions}
        self.day_off = day.weekday() in self.policy.days_off or day in self.policy.dates_off
        self.warnings: list[BuildWarning] = []

    def warn(
        self,
        code: str,
        message: str,
        *,
        entry: QueueSpec | None = None,
        session: SessionSpec | None = None,
    ) -> None:
        self.warnings.append(
            BuildWarning(
                code=code,
                message=message,
                queue_id=entry.id if entry else None,
                content_id=entry.content_id if entry else None,
                session_id=session.id if session else (entry.session_id if entry else None),
            )
        )

    def at(self, local_time: time) -> datetime:
        return local_to_utc(self.day, local_time, self.zone)

    def in_quiet_hours(self, start: datetime, end: datetime) -> bool:
        return any(start < q_end and end > q_start for q_start, q_end in self.quiet)


def build_day(inputs: DayInputs, day: date) -> Timeline:
    """The station's timeline for the local `day`, with what could not be placed."""
    state = _Day(inputs, day)
    windows = _session_windows(state)
    fixed = _place_fixed(state, windows)
    soft = _fill_sessions(state, windows, fixed)
    _report_orphans(state, windows)
    items = sorted([*fixed, *soft], key=lambda i: (i.start, i.tier, i.queue_id))
    sessions = tuple(
        SessionWindow(
            session_id=w.session.id,
            name=w.session.name,
            start=w.start,
            end=w.end,
            volume=w.session.volume,
            after_cut=w.session.after_cut,
        )
        for w in windows
    )
    return Timeline(
        day=day,
        timezone=inputs.timezone,
        sessions=sessions,
        items=tuple(items),
        warnings=tuple(state.warnings),
    )


def _quiet_intervals(policy: PolicySpec, day: date, zone: ZoneInfo) -> list[Interval]:
    intervals = []
    for quiet in policy.quiet_hours:
        for offset in (-1, 0, 1):
            first = day + timedelta(days=offset)
            last = first + timedelta(days=1) if quiet.end <= quiet.start else first
            intervals.append(
                (local_to_utc(first, quiet.start, zone), local_to_utc(last, quiet.end, zone))
            )
    return intervals


def _session_windows(state: _Day) -> list[Window]:
    policy = state.policy
    today = [s for s in state.sessions if s.enabled and s.recurrence.occurs_on(state.day)]
    if state.day_off:
        for session in today:
            state.warn("day_off", f"no sessions on {state.day} by policy", session=session)
        return []
    if policy.max_sessions_per_day is not None:
        for session in today[policy.max_sessions_per_day :]:
            state.warn(
                "too_many_sessions",
                f"policy allows {policy.max_sessions_per_day} session(s) a day",
                session=session,
            )
        today = today[: policy.max_sessions_per_day]
    windows: list[Window] = []
    for session in today:
        window = _window(state, session, windows[-1].end if windows else None)
        if window is not None:
            windows.append(window)
    return windows


def _window(state: _Day, session: SessionSpec, previous_end: datetime | None) -> Window | None:
    start = state.at(session.start)
    length = session.max_length_s
    cap = state.policy.max_session_length_s
    if cap is not None and cap < length:
        state.warn("session_capped", f"cut to the policy's {cap // 60} minutes", session=session)
        length = cap
    end = start + timedelta(seconds=length)
    if previous_end is not None and start < previous_end:
        state.warn("session_overlap", "starts when the session before it ends", session=session)
        start = previous_end
    for q_start, q_end in state.quiet:
        if q_start <= start < q_end:
            state.warn("session_in_quiet_hours", "starts in quiet hours", session=session)
            return None
        if start < q_start < end:
            state.warn(
                "session_cut_by_quiet_hours", "ends where quiet hours begin", session=session
            )
            end = q_start
    if end <= start:
        return None
    return Window(session, start, end)


def _item(
    entry: QueueSpec,
    content: ContentSpec,
    start: datetime,
    duration: float,
    timing: Timing,
    volume: int,
    session_id: int | None,
) -> TimelineItem:
    return TimelineItem(
        start=start,
        duration_s=duration,
        timing=timing,
        tier=content.tier,
        volume=volume,
        content_id=content.id,
        queue_id=entry.id,
        session_id=session_id,
        title=content.title,
        sha256=content.sha256,
        stream_url=content.stream_url,
    )


def _usable(state: _Day, entry: QueueSpec) -> tuple[ContentSpec, float] | None:
    content = state.content.get(entry.content_id)
    if content is None:
        state.warn(
            "content_unavailable", "the content is not approved or no longer exists", entry=entry
        )
        return None
    duration = entry.relay_length_s if entry.timing == Timing.relay else content.duration_s
    if duration is None:
        state.warn(
            "no_length", "a relay queued into a session needs a fixed time and length", entry=entry
        )
        return None
    return content, float(duration)


def _place_fixed(state: _Day, windows: list[Window]) -> list[TimelineItem]:
    entries = [e for e in state.queue if e.at is not None]
    usable = [(e, u) for e in entries if (u := _usable(state, e)) is not None]
    usable.sort(key=lambda pair: (pair[1][0].tier, pair[0].at, pair[0].order, pair[0].id))
    placed: list[TimelineItem] = []
    for entry, (content, duration) in usable:
        assert entry.at is not None
        start = state.at(entry.at)
        for _ in range(entry.repeat):
            item = _fixed_item(state, windows, placed, entry, content, start, duration)
            if item is None:
                break
            placed.append(item)
            start = item.end
    return placed


def _fixed_item(
    state: _Day,
    windows: list[Window],
    placed: list[TimelineItem],
    entry: QueueSpec,
    content: ContentSpec,
    start: datetime,
    duration: float,
) -> TimelineItem | None:
    end = start + timedelta(seconds=duration)
    if not content.valid_during(start, end):
        state.warn("outside_validity", "the content is not valid at that time", entry=entry)
        return None
    if content.tier != TierRank.emergency and state.day_off:
        state.warn("day_off", f"nothing but emergencies on {state.day} by policy", entry=entry)
        return None
    owner = state.owners.get(entry.owner_id) if entry.owner_id is not None else None
    if owner is not None and not owner.enabled:
        state.warn("session_disabled", f"session #{owner.id} is disabled", entry=entry)
        return None
    if content.tier != TierRank.emergency and state.in_quiet_hours(start, end):
        state.warn("in_quiet_hours", "falls in quiet hours", entry=entry)
        return None
    clash = next((p for p in placed if start < p.end and end > p.start), None)
    if clash is not None:
        state.warn("clash", f"overlaps queue entry #{clash.queue_id} placed before it", entry=entry)
        return None
    window = next((w for w in windows if w.start <= start < w.end), None)
    volume = window.session.volume if window else state.policy.default_volume
    return _item(
        entry, content, start, duration, entry.timing, volume, window.session.id if window else None
    )


def _fill_sessions(
    state: _Day, windows: list[Window], fixed: list[TimelineItem]
) -> list[TimelineItem]:
    placed: list[TimelineItem] = []
    for window in windows:
        entries = [e for e in state.queue if e.session_id == window.session.id]
        usable = [(e, u) for e in entries if (u := _usable(state, e)) is not None]
        usable.sort(key=lambda pair: (pair[1][0].tier, pair[0].order, pair[0].id))
        blocks = sorted(
            (i for i in fixed if i.start < window.end and i.end > window.start),
            key=lambda i: i.start,
        )
        cursor = window.start
        in_window: list[TimelineItem] = []
        for entry, (content, duration) in usable:
            for _ in range(entry.repeat):
                item = _soft_item(state, window, blocks, entry, content, cursor, duration)
                if item is not None:
                    in_window.append(item)
                    cursor = item.end
        placed.extend(in_window)
        if window.session.after_cut == "replay":
            _check_room_to_replay(state, window, [*in_window, *blocks])
    return placed


def _check_room_to_replay(state: _Day, window: Window, items: list[TimelineItem]) -> None:
    """A session that replays cut bulletins does so after its last item: say so when the
    time left there could not hold its longest bulletin (the agent then reports the
    replay skipped, should a cut come)."""
    soft = [i for i in items if i.timing == Timing.soft]
    if not soft:
        return
    last_end = max(i.end for i in items)
    left = max((window.end - last_end).total_seconds(), 0.0)
    longest = max(i.duration_s for i in soft)
    if left < longest:
        # A cut bulletin is replayed after the session's last item: not enough is left there.
        state.warn(
            "no_room_to_replay",
            f"no room to replay: {left:.0f} s left after its last item, {longest:.0f} s needed",
            session=window.session,
        )


def _soft_item(
    state: _Day,
    window: Window,
    blocks: list[TimelineItem],
    entry: QueueSpec,
    content: ContentSpec,
    cursor: datetime,
    duration: float,
) -> TimelineItem | None:
    start = cursor
    length = timedelta(seconds=duration)
    for block in blocks:  # sorted by start: step over each hard item in the way
        if start < block.end and start + length > block.start:
            start = block.end
    end = start + length
    if end > window.end:
        state.warn(
            "does_not_fit",
            f"{duration:.0f} s does not fit in what is left of the session",
            entry=entry,
        )
        return None
    if not content.valid_during(start, end):
        state.warn("outside_validity", "the content is not valid at that time", entry=entry)
        return None
    return _item(
        entry, content, start, duration, Timing.soft, window.session.volume, window.session.id
    )


def _report_orphans(state: _Day, windows: list[Window]) -> None:
    """Entries for a session that is not on air today are reported, not lost."""
    on_air = {w.session.id for w in windows}
    known = {s.id for s in state.sessions}
    for entry in state.queue:
        if entry.session_id is None or entry.session_id in on_air:
            continue
        reason = (
            "the session is not on air that day"
            if entry.session_id in known
            else "the session does not apply to this station"
        )
        state.warn("session_not_on_air", reason, entry=entry)
