"""The playout engine: asks the decision what plays now, drives the Player to match, writes
an as-run record for every start, end, failure, skip and pre-emption, and sleeps until the
next change.

Once the player matches, the player is told what the timeline plays at its next change
(`prepare`), so a player that can make ready for it starts it sooner.

`step(now)` does one round and is what the tests drive; `run()` repeats it, waking on a
monotonic timer at the next change (then re-reading the corrected clock, so a clock that
was corrected meanwhile is honoured), or at once when the manifest, the cache or the player
has news.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from audio.player import Player, PlayerEvent, PlayerState
from stations.agent.decision import Decision, Entry, PlayoutTimeline
from stations.agent.outbox import Outbox
from stations.protocol import AsRunRecord, Result, Stage

log = logging.getLogger(__name__)

# Later than this, an item is joined part-way (by seeking) and recorded "partial".
START_SLACK_S = 0.05
# Sleep at most this long, so nothing is missed if the timeline changes without a wake-up.
MAX_SLEEP_S = 30.0
ERROR_RETRY_S = 1.0
# A relay's stream ending this close to the relay's end has not dropped.
STREAM_END_TOLERANCE_S = 2.0


@dataclass(frozen=True, slots=True)
class Playing:
    entry: Entry
    record: AsRunRecord
    volume: int | None
    offset_s: float = 0.0  # where in the entry it began
    failed: bool = False


class _Verified:
    """The decision's view of the cache: asks it per file, lazily."""

    def __init__(self, check: Callable[[str], bool]) -> None:
        self._check = check

    def __contains__(self, sha256: object) -> bool:
        return isinstance(sha256, str) and self._check(sha256)


class PlayoutEngine:
    def __init__(
        self,
        *,
        player: Player,
        outbox: Outbox,
        timeline: Callable[[datetime], PlayoutTimeline | None],
        verified: Callable[[str], bool],
        source_for: Callable[[Entry], str],
        now: Callable[[], datetime],
        offset_ms: Callable[[], int],
        observe: Callable[[Entry, Stage, datetime], None] = lambda *_: None,
        cut: Callable[[Entry, datetime], None] = lambda *_: None,
    ) -> None:
        self._player = player
        self._outbox = outbox
        self._timeline = timeline
        self._verified = _Verified(verified)
        self._source_for = source_for
        self._now = now
        self._offset_ms = offset_ms
        self._observe = observe
        self._cut = cut
        self.playing: Playing | None = None
        self._skipped: set[str] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        player.subscribe(self._on_player_event)

    def changed(self) -> None:
        """The manifest or the cache changed: decide again now."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            while True:
                # The deadline is fixed on the monotonic clock when `now` is read, so the
                # time step() takes (a play, a durable commit) does not make the wake late.
                now, mono = self._now(), time.monotonic()
                deadline = mono + MAX_SLEEP_S
                try:
                    decision = self.step(now)
                except Exception:  # a full disk, a player gone wrong: keep trying, loudly
                    log.exception("playout: could not act on the timeline; again in 1 s")
                    decision, deadline = None, mono + ERROR_RETRY_S
                if decision is not None and decision.next_change is not None:
                    due = mono + (decision.next_change - now).total_seconds()
                    deadline = min(deadline, due)
                with contextlib.suppress(TimeoutError):
                    delay = max(deadline - time.monotonic(), 0.0)
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                self._wake.clear()
        finally:
            self._finish(self.playing, self._now(), "partial", "the agent stopped")
            self.playing = None
            self._player.stop()

    def step(self, now: datetime) -> Decision | None:
        """Make the player match what should play at `now`."""
        timeline = self._timeline(now)
        if timeline is None:
            return None
        decision = timeline.decide(now, self._verified)
        previous = self.playing
        entry = decision.entry
        if previous is not None and entry is not None and previous.entry.id == entry.id:
            self._keep(previous, decision)
            self._prepare_next(timeline, decision)
            return decision
        # Sound first: the next item starts before the records are committed.
        if entry is not None:
            self._start(decision, now)
        else:
            self.playing = None
            if previous is not None:
                self._player.stop()
        if previous is not None:
            cut_by: Result | None = "preempted" if previous.entry in decision.preempted else None
            self._finish(previous, now, cut_by)
            if cut_by is not None:
                self._cut(previous.entry, now)  # a higher layer took the air from it
        if decision.unplayable is not None:
            self._skip(decision.unplayable, now)
        self._prepare_next(timeline, decision)
        return decision

    def _prepare_next(self, timeline: PlayoutTimeline, decision: Decision) -> None:
        """Name to the player the file that plays from the top at the next change, as far
        as the timeline knows now (an alert arriving meanwhile just plays the usual way)."""
        if decision.next_change is None:
            return
        upcoming = timeline.decide(decision.next_change, self._verified)
        entry = upcoming.entry
        if entry is None or entry.kind != "file" or upcoming.offset_s > START_SLACK_S:
            return
        if self.playing is not None and self.playing.entry.id == entry.id:
            return  # it plays on through the change (only its volume moves)
        self._player.prepare(self._source_for(entry))

    def _keep(self, current: Playing, decision: Decision) -> None:
        """The same entry plays on; only the volume plan may have moved."""
        if current.failed or decision.volume is None or decision.volume == current.volume:
            return
        if current.entry.kind == "silence":
            return
        self._player.set_volume(decision.volume)
        self.playing = replace(current, volume=decision.volume)

    def _start(self, decision: Decision, now: datetime) -> None:
        entry = decision.entry
        assert entry is not None
        volume = 100 if decision.volume is None else decision.volume
        # A start a few milliseconds late plays from the top: nobody hears that, and a seek
        # would cut the item's first syllable.
        offset = decision.offset_s if decision.offset_s > START_SLACK_S else 0.0
        log.info("playout: %s %r from %.1f s", entry.id, entry.title, offset)
        # Sound first, then the record: the outbox's durable commit must not delay the start.
        if entry.kind == "silence":
            self._player.stop()  # a stop, or the air held for a higher layer getting ready
        else:
            self._player.play(self._source_for(entry), offset_s=offset, volume=volume)
        record = AsRunRecord(
            id=uuid.uuid4(),
            item_id=entry.id,
            content_id=entry.content_id,
            sha256=entry.sha256,
            planned_start=entry.start,
            started_at=now,
            result="failed",  # until it ends: an open record is never uploaded
            error="playing",
            clock_offset_ms=self._offset_ms(),
        )
        self.playing = Playing(entry, record, decision.volume, offset_s=offset)
        if entry.recorded:
            self._outbox.open(record)
            self._observe(entry, "started", now)

    def _finish(
        self,
        finished: Playing | None,
        now: datetime,
        cut_by: Result | None,
        error: str | None = None,
    ) -> None:
        """Close the record of what played until `now`."""
        if finished is None or finished.failed or not finished.entry.recorded:
            return  # nothing, recorded when it failed, or the air held (no record)
        entry, record = finished.entry, finished.record
        ran_out = now >= entry.end - timedelta(milliseconds=50)
        from_the_top = finished.offset_s == 0.0
        result: Result = cut_by or ("played" if ran_out and from_the_top else "partial")
        if result == "partial" and error is None:
            error = "joined part-way" if not from_the_top else "cut before its end"
        self._outbox.record(
            record.model_copy(update={"result": result, "ended_at": now, "error": error})
        )
        if ran_out and result in ("played", "partial"):
            self._observe(entry, "finished", now)

    def _skip(self, entry: Entry, now: datetime) -> None:
        if entry.id in self._skipped:
            return
        self._skipped.add(entry.id)
        log.warning("playout: %s skipped: its file is not verified", entry.id)
        self._outbox.record(
            AsRunRecord(
                id=uuid.uuid4(),
                item_id=entry.id,
                content_id=entry.content_id,
                sha256=entry.sha256,
                planned_start=entry.start,
                result="skipped",
                error="the file was not complete and verified in the cache",
                clock_offset_ms=self._offset_ms(),
            )
        )

    def _on_player_event(self, event: PlayerEvent) -> None:
        if event.state not in (PlayerState.failed, PlayerState.ended):
            return
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopped, event)
        else:
            self._stopped(event)

    def _stopped(self, event: PlayerEvent) -> None:
        """The player stopped by itself: a failure, or a relay's stream that dropped."""
        current = self.playing
        if current is None or current.failed or current.entry.kind == "silence":
            return  # a silence stopped the player itself
        now = self._now()
        result: Result = "failed"
        error = event.error
        if event.state == PlayerState.ended:
            # A file's end is the engine's to judge (an unpaced output ends early); a stream
            # that ends before the relay's time is up has dropped.
            left = (current.entry.end - now).total_seconds()
            if current.entry.kind != "relay" or left <= STREAM_END_TOLERANCE_S:
                return
            result, error = "partial", f"the stream stopped {left:.0f} s before the relay's end"
        log.error("playout: %s stopped: %s", current.entry.id, error)
        self._outbox.record(
            current.record.model_copy(update={"result": result, "ended_at": now, "error": error})
        )
        # Silence until the next change; the entry is not retried.
        self.playing = replace(current, failed=True)
