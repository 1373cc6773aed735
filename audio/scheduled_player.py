"""A Player that places each start on the sample: one output stream, open for the
player's life and never paused, fed by one writer thread, and ffmpeg decoding each source
into PCM on a pipe.

VLC's own audio outputs start each item when they can, give or take 10-30 ms heard on
PulseAudio (benchmarks/playout.py --aout pulse), and no option of VLC 3 narrows that. Here
the writer knows, before each write, when its next frame will be heard (the output's
latency), so `play` and `stop` take effect exactly `ahead_s` after the call: the old
source runs on up to that frame and the new one begins on it, so soft items chain with no
gap and no overlap. The engine is told to act `ahead_s` early (its output latency), so
each start is heard at its planned time. `ahead_s` must cover the output's buffer and a
fresh ffmpeg's first output (a source not prepared starts late by what it lacks);
`prepare` starts the decoder ahead, and its first 64 kB wait in the pipe.
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from audio.player import PlayerEvent, PlayerListener, PlayerState, notify
from audio.pulse_output import CHANNELS, FRAME_BYTES, RATE, OutputError, PcmOutput, PulseOutput

log = logging.getLogger(__name__)

CHUNK_FRAMES = RATE // 100  # 10 ms a write at most
STARVED_FRAMES = RATE // 400  # 2.5 ms of silence while a decoder has nothing yet
DEFAULT_AHEAD_S = 0.15
OUTPUT_RETRY_S = 1.0
FLOWING_TIMEOUT_S = 5.0
BLOCKED_S = 0.002


class _Decoder:
    """ffmpeg decoding one source into s16le PCM on a pipe, read without blocking."""

    def __init__(self, ffmpeg: str, source: str, offset_s: float) -> None:
        self.source = source
        seek = ["-ss", f"{offset_s:.3f}"] if offset_s > 0 else []
        command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", *seek]
        command += ["-i", source, "-vn", "-f", "s16le", "-ac", str(CHANNELS)]
        command += ["-ar", str(RATE), "pipe:1"]
        # Errors to a file, not a pipe: a relay's stream may log for hours, and a full
        # pipe would stall the decoder.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._errors, stdin=subprocess.DEVNULL
        )
        assert self._process.stdout is not None
        self._fd = self._process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._rest = b""  # part of a frame read last time
        self.produced = False

    def read(self, frames: int) -> bytes | None:
        """Whole frames, at most `frames`; None: nothing yet; b"": the source ended."""
        try:
            data = os.read(self._fd, frames * FRAME_BYTES - len(self._rest))
        except BlockingIOError:
            return None
        if not data:
            return b""
        data, cut = self._rest + data, (len(self._rest) + len(data)) % FRAME_BYTES
        data, self._rest = (data[:-cut], data[-cut:]) if cut else (data, b"")
        self.produced = self.produced or bool(data)
        return data if data else None

    def failure(self) -> str | None:
        """Why ffmpeg failed, once it has exited; None if it did not."""
        code = self._process.wait()
        if code == 0 or self.produced:
            return None
        self._errors.seek(0)
        detail = self._errors.read().decode(errors="replace").strip().splitlines()
        return f"ffmpeg could not decode the source: {detail[-1] if detail else code}"

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._errors.close()


@dataclass(eq=False)
class _Job:
    """What the output plays from `at` (monotonic, as heard): a decoder, or silence."""

    decoder: _Decoder | None
    generation: int
    at: float
    volume: int = 100
    started: bool = field(default=False)


class ScheduledPlayer:
    def __init__(
        self,
        output: PcmOutput | None = None,
        *,
        ahead_s: float = DEFAULT_AHEAD_S,
        ffmpeg: str | None = None,
    ) -> None:
        self.ahead_s = ahead_s
        self._ffmpeg = ffmpeg or shutil.which("ffmpeg") or "ffmpeg"
        # An output of its own is opened again if the sound server goes away and returns.
        self._reopen = output is None
        self._output = output if output is not None else PulseOutput()
        self._lock = threading.Lock()
        self._listeners: list[PlayerListener] = []
        self._state = PlayerState.idle
        self._source = ""
        self._generation = 0
        self._current: _Job | None = None
        self._next: _Job | None = None
        self._prepared: _Decoder | None = None
        self._closed = threading.Event()
        self._flowing = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="output", daemon=True)
        self._writer.start()
        # A sound server can hold a new stream's first writes for a while (PulseAudio's
        # null sink: 2 s); what plays is placed only once the stream flows.
        if not self._flowing.wait(FLOWING_TIMEOUT_S):
            log.warning("output: the stream did not start within %.0f s", FLOWING_TIMEOUT_S)

    # Player ---------------------------------------------------------------------------

    def subscribe(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def play(self, source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        at = time.monotonic() + self.ahead_s
        decoder, failed = self._decoder_for(source, offset_s)
        with self._lock:
            self._generation += 1
            self._source, self._state = source, PlayerState.idle
            replaced, self._next = self._next, _Job(decoder, self._generation, at, volume)
            generation = self._generation
        if replaced is not None and replaced.decoder is not None:
            replaced.decoder.close()
        if failed is not None:
            self._emit(generation, PlayerState.failed, failed)

    def prepare(self, source: str) -> None:
        if self._prepared is not None:
            if self._prepared.source == source:
                return
            self._prepared.close()
        self._prepared = None
        with contextlib.suppress(OSError):
            self._prepared = _Decoder(self._ffmpeg, source, 0.0)

    def set_volume(self, volume: int) -> None:
        with self._lock:
            if self._current is not None:
                self._current.volume = volume
            if self._next is not None:
                self._next.volume = volume

    def stop(self) -> None:
        at = time.monotonic() + self.ahead_s
        with self._lock:
            self._generation += 1
            self._state = PlayerState.idle
            replaced, self._next = self._next, _Job(None, self._generation, at)
        if replaced is not None and replaced.decoder is not None:
            replaced.decoder.close()

    @property
    def state(self) -> PlayerState:
        with self._lock:
            return self._state

    def close(self) -> None:
        self._closed.set()
        self._writer.join(5)
        for job in (self._current, self._next):
            if job is not None and job.decoder is not None:
                job.decoder.close()
        if self._prepared is not None:
            self._prepared.close()
        self._output.close()

    def _decoder_for(self, source: str, offset_s: float) -> tuple[_Decoder | None, str | None]:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared.source == source and offset_s == 0:
            return prepared, None
        if prepared is not None:
            prepared.close()
        try:
            return _Decoder(self._ffmpeg, source, offset_s), None
        except OSError as exc:
            return None, f"ffmpeg could not start: {exc}"

    # the writer -----------------------------------------------------------------------

    def _write_loop(self) -> None:
        while not self._closed.is_set():
            try:
                self._write_once()
            except OutputError as exc:
                log.error("output: %s; trying again in %.0f s", exc, OUTPUT_RETRY_S)
                self._closed.wait(OUTPUT_RETRY_S)
                if self._reopen and not self._closed.is_set():
                    self._output.close()
                    with contextlib.suppress(OutputError):
                        self._output = PulseOutput()

    def _write_once(self) -> None:
        heard_at = time.monotonic() + self._output.latency_s()  # the next frame written
        frames = CHUNK_FRAMES
        with self._lock:
            upcoming = self._next
            if upcoming is not None and upcoming.at <= heard_at:
                ended, self._current, self._next = self._current, upcoming, None
                upcoming = None
            else:
                ended = None
            current = self._current
        if ended is not None and ended.decoder is not None:
            ended.decoder.close()
        if upcoming is not None:  # write up to the frame where it begins, not past it
            frames = max(1, min(frames, round((upcoming.at - heard_at) * RATE)))
        data = self._take(current, frames)
        began = time.monotonic()
        self._output.write(data)
        if time.monotonic() - began > BLOCKED_S:
            self._flowing.set()  # the buffer was full and the server took from it

    def _take(self, job: _Job | None, frames: int) -> bytes:
        if job is None or job.decoder is None:
            return bytes(frames * FRAME_BYTES)
        data = job.decoder.read(frames)
        if data is None:
            return bytes(min(frames, STARVED_FRAMES) * FRAME_BYTES)
        if data == b"":
            self._finished(job)
            return bytes(frames * FRAME_BYTES)
        if not job.started:
            job.started = True
            self._emit(job.generation, PlayerState.playing)
        return data if job.volume == 100 else _scaled(data, job.volume)

    def _finished(self, job: _Job) -> None:
        assert job.decoder is not None
        failure = job.decoder.failure()
        job.decoder.close()
        with self._lock:
            if self._current is job:
                self._current = None
        if failure is not None:
            self._emit(job.generation, PlayerState.failed, failure)
        else:
            self._emit(job.generation, PlayerState.ended)

    def _emit(self, generation: int, state: PlayerState, error: str | None = None) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._state = state
            event = PlayerEvent(state, self._source, time.monotonic(), error)
        notify(self._listeners, event)


def _scaled(data: bytes, volume: int) -> bytes:
    samples = array.array("h", data)
    gain = volume / 100
    return array.array("h", (int(sample * gain) for sample in samples)).tobytes()
