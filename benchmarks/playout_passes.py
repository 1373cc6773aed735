"""The playout benchmark's test audio, its timeline, and its two kinds of pass over it: the
agent's playout engine, and a bare asyncio loop calling the same player at the same moments.

Each pass returns, per item, its own start timestamp (the engine's `started_at` from the
outbox, or the loop's clock right before `play`) and the moment VLC reported it Playing.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audio.container import CANONICAL_FORMAT
from audio.player import Player, PlayerEvent, PlayerState
from stations.agent.decision import Entry, Layer, PlayoutTimeline
from stations.agent.engine import PlayoutEngine
from stations.agent.outbox import Outbox

FFMPEG = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
# Cycled through; 1-2 s items keep a 60-item pass under two minutes.
DURATIONS_S = (1.0, 1.5, 2.0, 1.25, 1.75)
GROUP = 5  # a hard item, then four soft items chained behind it
SILENCE_S = 0.8  # before each hard item after the first
TAIL_S = 0.5  # after the last item's end, so its close is recorded as the engine does


@dataclass(frozen=True, slots=True)
class Item:
    source: str
    start: datetime
    duration_s: float
    soft: bool  # starts exactly at the end of the item before it

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)


@dataclass(frozen=True, slots=True)
class PassResult:
    items: list[Item]
    started: dict[int, datetime]  # item index -> its own start timestamp
    playing: dict[int, datetime]  # item index -> VLC's first Playing event, on the wall clock
    # item index -> its start found in the recorded output (playout_heard.py; pulse only)
    heard: dict[int, datetime] = field(default_factory=dict)


def wall_now() -> datetime:
    return datetime.now(UTC)


# The file each item is played from: Opus in WebM is the cache's format, Opus in Ogg what
# it was before; PCM is there to compare against on a paced output.
CONTAINERS = {
    "webm": ("webm", ["-c:a", "libopus", "-b:a", "32k", "-f", CANONICAL_FORMAT]),
    "ogg": ("opus", ["-c:a", "libopus", "-b:a", "32k"]),
    "wav": ("wav", ["-c:a", "pcm_s16le"]),
}


def pitch(index: int) -> float:
    """Item `index`'s tone: a different pitch for every item of a pass, and at least
    1,150 Hz from the items before and after it (23 is prime to 60: the steps are 23 or 37
    of 50 Hz), so the tail of one leaks next to nothing into where the next one's start
    is looked for. (At 20 Hz apart, 20 Hz windows' nulls notwithstanding, the cut-off tail
    of the one before moved each soft item's start heard by up to +-12 ms, either way by
    the two tones' phases.)"""
    return 250.0 + 50.0 * ((index * 23) % 60) + 3000.0 * (index // 60)


def make_tones(
    folder: Path, count: int, container: str = CANONICAL_FORMAT
) -> list[tuple[str, float]]:
    """One file per item, each its own pitch, so that every Playing event names exactly
    one item. Returns (path, duration) pairs."""
    suffix, codec = CONTAINERS[container]
    tones = []
    for index in range(count):
        duration = DURATIONS_S[index % len(DURATIONS_S)]
        path = folder / f"item-{index:03d}.{suffix}"
        tone = f"sine=f={pitch(index):.0f}:d={duration}:r=48000"
        command = [*FFMPEG, "-f", "lavfi", "-i", tone, "-ac", "1", *codec, str(path)]
        subprocess.run(command, check=True)
        tones.append((str(path), duration))
    return tones


def plan(tones: list[tuple[str, float]], first_start: datetime) -> list[Item]:
    """Groups of a hard item at a set time followed by soft items chained back to back,
    with silence between groups."""
    items: list[Item] = []
    moment = first_start
    for index, (source, duration) in enumerate(tones):
        soft = index % GROUP != 0
        if index > 0 and not soft:
            moment += timedelta(seconds=SILENCE_S)
        items.append(Item(source, moment, duration, soft))
        moment += timedelta(seconds=duration)
    return items


class PlayingEvents:
    """VLC's first Playing event for each source, on the wall clock: its monotonic time is
    moved onto the wall clock by one reference pair, taken when the collector is made."""

    def __init__(self, player: Player) -> None:
        self._wall, self._monotonic = wall_now(), time.monotonic()
        self._lock = threading.Lock()  # VLC calls the listener on its own thread
        self._first: dict[str, float] = {}
        self.any = threading.Event()  # set at the first Playing event
        player.subscribe(self._on_event)

    def _on_event(self, event: PlayerEvent) -> None:
        if event.state == PlayerState.playing:
            with self._lock:
                self._first.setdefault(event.source, event.monotonic)
            self.any.set()

    def count(self) -> int:
        with self._lock:
            return len(self._first)

    def by_item(self, items: list[Item]) -> dict[int, datetime]:
        with self._lock:
            first = dict(self._first)
        return {
            index: self._wall + timedelta(seconds=first[item.source] - self._monotonic)
            for index, item in enumerate(items)
            if item.source in first
        }


async def _sleep_until(moment: datetime) -> None:
    delay = (moment - wall_now()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


async def _show_progress(label: str, events: PlayingEvents, total: int) -> None:
    """Items played so far on stderr, checked twice a second, written when it changes."""
    end = "\r" if sys.stderr.isatty() else "\n"
    shown = -1
    try:
        while True:
            if events.count() != shown:
                shown = events.count()
                sys.stderr.write(f"{label}: {shown}/{total} items playing{end}")
                sys.stderr.flush()
            await asyncio.sleep(0.5)
    finally:
        sys.stderr.write(f"{label}: {events.count()}/{total} items playing, done\n")


@contextlib.asynccontextmanager
async def _progress(label: str, events: PlayingEvents, total: int) -> AsyncIterator[None]:
    task = asyncio.create_task(_show_progress(label, events, total))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _entry(index: int, item: Item) -> Entry:
    return Entry(
        id=f"item-{index:03d}",
        layer=Layer.schedule,
        start=item.start,
        duration_s=item.duration_s,
        kind="file",
        sha256=f"{index:064x}",
        url=item.source,
        volume=100,
        title=f"tone {index}",
    )


async def engine_pass(
    label: str, items: list[Item], player: Player, outbox: Path, lead: timedelta
) -> PassResult:
    """The agent's engine over the timeline, with a real outbox (durable commits) and the
    real clock, `lead` ahead as the agent's output latency setting puts it; stopped once the
    last item has ended."""
    events = PlayingEvents(player)
    records = Outbox(outbox)
    timeline = PlayoutTimeline([_entry(index, item) for index, item in enumerate(items)], [])
    engine = PlayoutEngine(
        player=player,
        outbox=records,
        timeline=lambda _now: timeline,
        verified=lambda _: True,
        source_for=lambda entry: entry.url,
        now=lambda: wall_now() + lead,
        offset_ms=lambda: 0,
    )
    async with _progress(label, events, len(items)):
        task = asyncio.create_task(engine.run())
        await _sleep_until(items[-1].end + timedelta(seconds=TAIL_S))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    index_of = {f"item-{index:03d}": index for index in range(len(items))}
    started = {
        index_of[record.item_id]: record.started_at
        for record in records.pending(limit=10 * len(items))
        if record.item_id is not None and record.started_at is not None
    }
    records.close()
    return PassResult(items, started, events.by_item(items))


async def baseline_pass(
    label: str, items: list[Item], player: Player, lead: timedelta
) -> PassResult:
    """No decision, no outbox: sleep until `lead` before each planned start and play; stop
    in the silences; name the next item to the player when it is next, as the engine does."""
    events = PlayingEvents(player)
    started: dict[int, datetime] = {}
    async with _progress(label, events, len(items)):
        player.prepare(items[0].source)
        for index, item in enumerate(items):
            if index > 0 and not item.soft:
                await _sleep_until(items[index - 1].end - lead)
                player.stop()
                player.prepare(item.source)
            await _sleep_until(item.start - lead)
            started[index] = wall_now() + lead
            player.play(item.source)
            if index + 1 < len(items) and items[index + 1].soft:
                player.prepare(items[index + 1].source)
        await _sleep_until(items[-1].end - lead)
        player.stop()
    return PassResult(items, started, events.by_item(items))


async def warm_up(player: Player, source: str) -> None:
    """One play before anything is measured, so VLC's decoder plugins are loaded and the
    first measured pass does not pay for it alone."""
    events = PlayingEvents(player)
    player.play(source)
    await asyncio.to_thread(events.any.wait, 5.0)
    player.stop()
