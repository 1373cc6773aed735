"""The scheduled player's placing of starts and stops, against a paced output in memory
(tests/audio/paced_output.py), with real ffmpeg decoding real files: each play and stop is
heard `ahead_s` after the call, the next source begins on the frame where the last one
stops, and the volume scales the samples. Tolerances are the writer's: a few
milliseconds between reading the clock and the output's latency."""

from __future__ import annotations

import queue
import select
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.player import PlayerEvent, PlayerState
from audio.pulse_output import RATE
from audio.scheduled_player import ScheduledPlayer
from tests.audio.paced_output import PacedOutput
from tests.audio.player_events import events_of
from tests.audio.sounds import ffmpeg

LATENCY_S = 0.15
PLACED_S = 0.005
EVENT_TIMEOUT_S = 15


@pytest.fixture
def output() -> PacedOutput:
    return PacedOutput()


@pytest.fixture
def player(output: PacedOutput) -> Iterator[ScheduledPlayer]:
    made = ScheduledPlayer(output, ahead_s=LATENCY_S)
    yield made
    made.close()


def _until(events: queue.Queue[PlayerEvent], state: PlayerState) -> PlayerEvent:
    while True:
        event = events.get(timeout=EVENT_TIMEOUT_S)
        if event.state == state:
            return event


def _sine(path: Path, *, seconds: float, freq: int = 440, gain: float = 1.0) -> Path:
    """A pure tone (ffmpeg's sine: 1/8 of full scale, times `gain`), so its first sample
    over a threshold is its start to within a few tens of microseconds."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=f={freq}:d={seconds}:r=48000",
        "-af",
        f"volume={gain}",
        str(path),
    )
    return path


def _prepared(player: ScheduledPlayer, source: Path) -> None:
    """Prepare `source` and wait for its decoder's first PCM: placing is what is tested,
    not how fast ffmpeg starts on a loaded machine (a source whose decoder has nothing yet
    starts late by what it lacks)."""
    player.prepare(str(source))
    decoder = player._prepared
    assert decoder is not None
    assert select.select([decoder._fd], [], [], EVENT_TIMEOUT_S)[0], "ffmpeg gave nothing"


def _loud_from(output: PacedOutput, frame: int, threshold: int) -> int:
    found = output.first_sound(after=frame, threshold=threshold)
    assert found is not None, "nothing that loud was written"
    return found


def test_a_play_is_heard_its_latency_after_the_call(
    player: ScheduledPlayer, output: PacedOutput, tmp_path: Path
) -> None:
    source = _sine(tmp_path / "tone.wav", seconds=0.5)
    events = events_of(player)
    _prepared(player, source)
    called = time.monotonic()
    player.play(str(source))
    _until(events, PlayerState.ended)
    heard = output.heard_at(_loud_from(output, 0, 300))
    assert heard - called == pytest.approx(LATENCY_S, abs=PLACED_S)


def test_the_next_source_begins_on_the_frame_where_the_last_one_stops(
    player: ScheduledPlayer, output: PacedOutput, tmp_path: Path
) -> None:
    quiet = _sine(tmp_path / "quiet.wav", seconds=3.0, gain=0.1)  # peaks at ~410
    loud = _sine(tmp_path / "loud.webm", seconds=0.5, freq=880)  # at ~4,100
    events = events_of(player)
    player.play(str(quiet))
    _until(events, PlayerState.playing)
    _prepared(player, loud)
    called = time.monotonic()
    player.play(str(loud))
    _until(events, PlayerState.ended)
    begins = _loud_from(output, 0, 2_000)
    assert output.heard_at(begins) - called == pytest.approx(LATENCY_S, abs=PLACED_S)
    # The quiet one sounds right up to it: no silence in the hand-over.
    assert _peak(output, begins - RATE // 1000, begins) > 200


def test_a_stop_is_heard_its_latency_after_the_call(
    player: ScheduledPlayer, output: PacedOutput, tmp_path: Path
) -> None:
    source = _sine(tmp_path / "tone.wav", seconds=5.0)
    events = events_of(player)
    player.play(str(source))
    _until(events, PlayerState.playing)
    time.sleep(0.3)
    called = time.monotonic()
    player.stop()
    assert player.state == PlayerState.idle
    time.sleep(LATENCY_S + 0.2)  # what was written before the stop, heard out
    last = _last_sound(output)
    assert output.heard_at(last) - called == pytest.approx(LATENCY_S, abs=PLACED_S)


def test_the_volume_scales_the_samples(
    player: ScheduledPlayer, output: PacedOutput, tmp_path: Path
) -> None:
    source = _sine(tmp_path / "tone.wav", seconds=0.3)
    events = events_of(player)
    player.play(str(source), volume=100)
    _until(events, PlayerState.ended)
    full = _peak(output, 0, len(output.frames) // 4)
    half_from = len(output.frames) // 4
    player.play(str(source), volume=50)
    _until(events, PlayerState.ended)
    half = _peak(output, half_from, len(output.frames) // 4)
    assert half == pytest.approx(full / 2, rel=0.02)


def _peak(output: PacedOutput, first: int, end: int) -> int:
    samples = memoryview(bytes(output.frames)).cast("h")[first * 2 : end * 2]
    return max(abs(value) for value in samples)


def _last_sound(output: PacedOutput, threshold: int = 300) -> int:
    samples = memoryview(bytes(output.frames)).cast("h")
    for index in range(len(samples) - 1, -1, -1):
        if abs(samples[index]) >= threshold:
            return index // 2
    raise AssertionError("nothing was heard")
