"""An alert's plays as entries of the emergency layer: a pure function of the manifest's
alerts, its time zone and the Cancels received ahead of it. No clock, no player, no disk.

What an operator gets (issue 7):
- Each repetition is the attention chime (if the alert has one) and, right after it, the
  alert's audio: its cached file, or its stream when it has only a `url`.
- No plan: one play at `starts`. `count`: that many plays `interval_s` apart, start to start;
  a repetition still due while the previous one sounds follows it back to back instead (the
  count is what was asked for, and a repetition never cuts its own alert).
- Hourly: a first play at `starts` (an alert is heard when it is issued, whatever the hour),
  then one on every local hour `hourly_from` ≤ hour < `hourly_to` in the manifest's time
  zone, every day; a window whose end is before its start runs across midnight, and equal
  ends mean all day. An hour that falls while the previous play still sounds is left out:
  the play that is sounding already says it.
- Expiry: a repetition starts only before `expires`, and then plays whole (a message cut in
  the middle tells nobody anything). An alert that expires before it starts yields nothing;
  one already expired yields only plays in the past, which the decision never starts.
- An alert named in another listed alert's `replaces` is dropped (the Update plays
  instead), and so is one whose Cancel arrived before the manifest caught up. Test and
  Exercise alerts yield plays only on a station that accepts them.
- The expansion is bounded: 8 days from `starts` (the manifest's horizon) and at most
  MAX_REPETITIONS per alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from datetime import timezone as fixed_offset
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stations.agent.decision import Entry, Layer
from stations.protocol import FILES_PATH, AlertRepeat, ManifestAlert

HORIZON = timedelta(days=8)
# The longest a layer holds the air for an alert or order whose files are not verified yet.
HOLD = timedelta(seconds=20)
MAX_REPETITIONS = 1000
# Vietnam has kept UTC+7 without summer time since 1975: the stand-in for a zone name the
# Pi's tz database does not know, so a bad name costs the hourly plan accuracy, not playout.
VIETNAM = fixed_offset(timedelta(hours=7), "+07")
# Every zone's offset is a multiple of 15 minutes, so every local hour is on this grid.
_GRID = timedelta(minutes=15)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An as-run record's item_id holds at most this much (stations/protocol.py).
ID_MAX = 100


def alert_entries(
    alerts: Sequence[ManifestAlert],
    *,
    timezone: str,
    plays_test_alerts: bool,
    cancelled: Collection[str] = (),
) -> list[Entry]:
    """The emergency layer's entries for `alerts`, in order of their start."""
    replaced = {old for alert in alerts for old in alert.replaces if old != alert.id}
    zone = _zone(timezone)
    entries: list[Entry] = []
    for alert in alerts:
        if alert.id in replaced or alert.id in cancelled:
            continue
        if alert.status != "Actual" and not plays_test_alerts:
            continue  # acknowledged by the agent all the same, but silent here
        entries.extend(_entries(alert, zone))
    return sorted(entries, key=lambda e: (e.start, e.id))


def hold_entries(
    waiting: Sequence[tuple[ManifestAlert, datetime]], *, plays_test_alerts: bool
) -> list[Entry]:
    """Silence in each waiting alert's layer from when it came (`waiting`: the alert, and
    when it was received) for up to HOLD_S, while its files are fetched and verified: a
    layer about to take over holds the air, so what it is taking over from does not start
    again for the few tens of milliseconds in between. A file that takes longer gives the
    air back until it is ready."""
    entries = []
    for alert, received in waiting:
        if alert.status != "Actual" and not plays_test_alerts:
            continue
        start = max(received, alert.starts)
        length = min(HOLD, alert.expires - start)
        if length <= timedelta(0):
            continue
        entries.append(
            Entry(
                id=_entry_id(alert.id, 0, kind="hold"),
                layer=_layer(alert),
                start=start,
                duration_s=length.total_seconds(),
                kind="silence",
                sha256=None,
                url="",
                volume=alert.volume,
                title=alert.title,
                recorded=False,
            )
        )
    return entries


def _layer(alert: ManifestAlert) -> Layer:
    return Layer.priority if alert.layer == "priority" else Layer.emergency


def _entries(alert: ManifestAlert, zone: tzinfo) -> list[Entry]:
    if alert.action == "stop":
        return [_silence(alert)]
    if alert.duration_s <= 0 or (alert.sha256 is None and not alert.url):
        return []  # nothing to play, or no way to tell when it ends
    chime_s = alert.chime_duration_s if alert.chime_sha256 is not None else 0.0
    length = timedelta(seconds=chime_s + alert.duration_s)
    until = min(alert.expires, alert.starts + HORIZON)
    entries: list[Entry] = []
    for number, start in enumerate(_starts(alert, zone, until, length), start=1):
        if chime_s > 0:
            entries.append(_chime(alert, number, start, chime_s))
        entries.append(_audio(alert, number, start + timedelta(seconds=chime_s)))
    return entries


def _starts(
    alert: ManifestAlert, zone: tzinfo, until: datetime, length: timedelta
) -> Iterator[datetime]:
    """When each repetition starts (its chime, if any): before `until`, never overlapping."""
    repeat = alert.repeat or AlertRepeat()
    hourly = repeat.hourly_from is not None and repeat.hourly_to is not None
    free_from = alert.starts  # when the previous repetition has ended
    made = 0
    for planned in _planned(alert.starts, repeat, zone, until):
        if hourly and planned < free_from:
            continue
        start = max(planned, free_from)
        if start >= until or made >= MAX_REPETITIONS:
            return
        yield start
        made += 1
        free_from = start + length


def _planned(
    starts: datetime, repeat: AlertRepeat, zone: tzinfo, until: datetime
) -> Iterator[datetime]:
    if repeat.hourly_from is not None and repeat.hourly_to is not None:
        yield starts
        yield from _hours(starts, until, zone, repeat.hourly_from, repeat.hourly_to)
        return
    interval = timedelta(seconds=repeat.interval_s or 0)
    for index in range(min(repeat.count or 1, MAX_REPETITIONS)):
        yield starts + index * interval


def _hours(
    after: datetime, until: datetime, zone: tzinfo, first: time, last: time
) -> Iterator[datetime]:
    """Instants after `after` and before `until` that are on the local hour in the window.
    Walking a UTC grid (not local wall times) keeps summer-time changes right: a skipped
    hour never appears, a repeated one is two instants."""
    moment = _EPOCH + (after - _EPOCH) // _GRID * _GRID + _GRID
    while moment < until:
        local = moment.astimezone(zone)
        if local.minute == 0 and local.second == 0 and _inside(local.time(), first, last):
            yield moment
        moment += _GRID


def _inside(moment: time, first: time, last: time) -> bool:
    # The window is read in the manifest's zone even if the times came with an offset.
    first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
    if first < last:
        return first <= moment < last
    if first > last:  # across midnight
        return moment >= first or moment < last
    return True


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return VIETNAM


def _silence(alert: ManifestAlert) -> Entry:
    """A stop order: silence over the schedule from its start until it expires (or is
    lifted, when it leaves the list)."""
    until = min(alert.expires, alert.starts + HORIZON)
    return Entry(
        id=_entry_id(alert.id, 1, ":stop", kind="order"),
        layer=_layer(alert),
        start=alert.starts,
        duration_s=max((until - alert.starts).total_seconds(), 0.0),
        kind="silence",
        sha256=None,
        url="",
        volume=0,
        title=alert.title,
        alert_id=alert.id,
    )


def _chime(alert: ManifestAlert, number: int, start: datetime, duration_s: float) -> Entry:
    assert alert.chime_sha256 is not None  # only called when there is a chime
    return Entry(
        id=_entry_id(alert.id, number, ":chime", kind=_kind(alert)),
        layer=_layer(alert),
        start=start,
        duration_s=duration_s,
        kind="file",
        sha256=alert.chime_sha256,
        url=f"{FILES_PATH}/{alert.chime_sha256}",
        volume=alert.volume,
        title=alert.title,
        alert_id=alert.id,
    )


def _audio(alert: ManifestAlert, number: int, start: datetime) -> Entry:
    sha256 = alert.sha256
    url = f"{FILES_PATH}/{sha256}" if sha256 is not None else alert.url or ""
    return Entry(
        id=_entry_id(alert.id, number, kind=_kind(alert)),
        layer=_layer(alert),
        start=start,
        duration_s=alert.duration_s,
        kind="relay" if sha256 is None else "file",
        sha256=sha256,
        url=url,
        volume=alert.volume,
        title=alert.title,
        alert_id=alert.id,
    )


def _kind(alert: ManifestAlert) -> str:
    return "order" if alert.layer == "priority" else "alert"


def _entry_id(alert_id: str, number: int, suffix: str = "", *, kind: str = "alert") -> str:
    """`alert:<id>#<n>[:chime]` (`order:` for a broadcast now order, which the server's
    as-run log tells apart by it): stable across rebuilds; a long id is shortened to a
    digest so the as-run record (and the heartbeat) can carry it."""
    entry_id = f"{kind}:{alert_id}#{number}{suffix}"
    if len(entry_id) <= ID_MAX:
        return entry_id
    digest = hashlib.sha256(alert_id.encode()).hexdigest()[:24]
    return f"{kind}:{digest}#{number}{suffix}"
