"""The playout benchmark's detector of starts heard, on a recording made here with every
start known to the sample: soft items chained back to back, each tone cut off by the next
as a player cuts it, found within a millisecond and a half of where they are."""

from __future__ import annotations

import array
import math
from datetime import UTC, datetime, timedelta

import pytest

from benchmarks import playout_heard
from benchmarks.playout_heard import RATE, RecordingClock, heard_starts
from benchmarks.playout_passes import DURATIONS_S, pitch, plan

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
FOUND_WITHIN_S = 0.0015


def _recording(
    count: int, tone_of: object = pitch
) -> tuple[array.array[int], RecordingClock, list]:  # type: ignore[type-arg]
    items = plan(
        [(f"item-{i}", DURATIONS_S[i % len(DURATIONS_S)]) for i in range(count)],
        T0 + timedelta(seconds=0.5),
    )
    total = int(((items[-1].end - T0).total_seconds() + 0.5) * RATE)
    samples = array.array("h", bytes(2 * total))
    for index, item in enumerate(items):
        first = round((item.start - T0).total_seconds() * RATE)
        step = 2 * math.pi * tone_of(index) / RATE
        for n in range(round(item.duration_s * RATE)):
            samples[first + n] = int(8000 * math.sin(step * n))
    reads = [(n, T0.timestamp() + n / RATE) for n in range(0, total, RATE // 10)]
    return samples, RecordingClock(reads), items


def test_each_start_is_found_where_it_is_though_the_tone_before_is_cut_off() -> None:
    samples, clock, items = _recording(10)
    heard = heard_starts(samples, clock, items)
    assert sorted(heard) == list(range(10))
    for index, item in enumerate(items):
        assert (heard[index] - item.start).total_seconds() == pytest.approx(0, abs=FOUND_WITHIN_S)


def test_tones_20_hz_apart_would_move_the_soft_starts_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def close_by(index: int) -> float:
        return 200.0 + 20.0 * index

    samples, clock, items = _recording(10, close_by)
    monkeypatch.setattr(playout_heard, "pitch", close_by)
    heard = heard_starts(samples, clock, items)
    errors = [
        abs((heard[i] - item.start).total_seconds()) for i, item in enumerate(items) if item.soft
    ]
    # Even clean tones are found 2-3 ms off; coded by Opus, up to 12 ms either way (measured
    # with the scheduled player, which hands over on the sample): why they are now far apart.
    assert max(errors) > FOUND_WITHIN_S
