"""What plays now: a pure function of the manifest's items, the higher layers' entries, the
volume plan, the verified files and `now`. No clock, no player, no disk.

Layers (DESIGN.md): schedule < priority interrupt < emergency. Whatever the highest layer
holding an entry at `now` says plays, from `now - start` in; when it ends, the layer below
takes over where the clock says it should be (joining its item part-way, as after a
restart). The builder has already placed the schedule's items (hard at their times, soft
chained behind one another, nothing across a session's end), so within a layer at most one
entry covers any moment; should two overlap, the later start wins, as a hard item cuts.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from stations.protocol import ManifestItem, VolumeWindow


class Layer(IntEnum):
    schedule = 0
    priority = 1
    emergency = 2


@dataclass(frozen=True, slots=True)
class Entry:
    """Something to play from `start` for `duration_s`: a scheduled item or an alert's run."""

    id: str
    layer: Layer
    start: datetime
    duration_s: float
    kind: str  # "file", "relay", or "silence" (a stop, or the air held for what comes)
    sha256: str | None
    url: str
    volume: int
    title: str
    content_id: int | None = None
    session_id: int | None = None
    alert_id: str | None = None  # an alert's or order's chime or audio, or a stop's silence
    # False: silence held while a higher layer gets ready (no as-run record of its own).
    recorded: bool = True

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def schedule_entries(items: Sequence[ManifestItem]) -> list[Entry]:
    return [
        Entry(
            id=item.id,
            layer=Layer.schedule,
            start=item.start,
            duration_s=item.duration_s,
            kind=item.kind,
            sha256=item.sha256,
            url=item.url,
            volume=item.volume,
            title=item.title,
            content_id=item.content_id,
            session_id=item.session_id,
        )
        for item in items
    ]


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine should be doing at `now`, and when to ask again."""

    entry: Entry | None  # None: silence
    offset_s: float  # how far into the entry `now` is
    volume: int | None  # None: leave the output as it is (nothing plays)
    next_change: datetime | None  # ask again then (None: nothing more is known)
    # The entry that should play now but cannot: its file is not (yet) verified.
    unplayable: Entry | None = None
    # Entries of lower layers that a higher one is covering now.
    preempted: tuple[Entry, ...] = field(default=())
    # What follows `entry` at its end in the same layer, to get ready for a gapless start.
    following: Entry | None = None


class PlayoutTimeline:
    """Entries of every layer, sorted once; `decide` is then cheap to call at each change."""

    def __init__(self, entries: Sequence[Entry], volume_plan: Sequence[VolumeWindow]) -> None:
        self._layers: dict[Layer, list[Entry]] = {}
        for entry in sorted(entries, key=lambda e: (e.start, e.id)):
            self._layers.setdefault(entry.layer, []).append(entry)
        self._starts = {layer: [e.start for e in es] for layer, es in self._layers.items()}
        self._volume_plan = sorted(volume_plan, key=lambda w: w.from_)
        boundaries = {moment for e in entries for moment in (e.start, e.end)}
        boundaries |= {moment for w in volume_plan for moment in (w.from_, w.to)}
        self._boundaries = sorted(boundaries)

    def current(self, layer: Layer, now: datetime) -> Entry | None:
        """The entry of `layer` covering `now`: the latest started one, if it still runs."""
        entries = self._layers.get(layer, [])
        index = bisect.bisect_right(self._starts.get(layer, []), now) - 1
        while index >= 0:
            entry = entries[index]
            if entry.covers(now):
                return entry
            if entry.start + timedelta(days=1) < now:
                return None  # nothing runs longer than a day; stop looking back
            index -= 1
        return None

    def following(self, entry: Entry) -> Entry | None:
        entries = self._layers.get(entry.layer, [])
        index = bisect.bisect_left(self._starts[entry.layer], entry.end)
        if index < len(entries) and entries[index].start == entry.end:
            return entries[index]
        return None

    def volume_at(self, now: datetime) -> int | None:
        for window in self._volume_plan:
            if window.from_ <= now < window.to:
                return window.volume
        return None

    def next_change(self, now: datetime) -> datetime | None:
        index = bisect.bisect_right(self._boundaries, now)
        return self._boundaries[index] if index < len(self._boundaries) else None

    def decide(self, now: datetime, verified: Container[str]) -> Decision:
        covering = [(layer, self.current(layer, now)) for layer in sorted(Layer, reverse=True)]
        active = [(layer, entry) for layer, entry in covering if entry is not None]
        next_change = self.next_change(now)
        if not active:
            return Decision(None, 0.0, self.volume_at(now), next_change)
        top = active[0][1]
        preempted = tuple(entry for _, entry in active[1:])
        planned = self.volume_at(now)
        # Alerts set their own volume; the schedule follows the volume plan where it has one.
        volume: int | None = (
            top.volume if top.layer > Layer.schedule or planned is None else planned
        )
        if top.kind == "silence":
            volume = None  # nothing plays: leave the output as it is
        if top.kind == "file" and top.sha256 not in verified:
            return Decision(None, 0.0, volume, next_change, unplayable=top, preempted=preempted)
        offset = (now - top.start).total_seconds()
        return Decision(
            top, offset, volume, next_change, preempted=preempted, following=self.following(top)
        )
