"""A PcmOutput for unit tests of the scheduled player: it keeps what is written in memory
and plays it out at the real rate on the monotonic clock, so frame `i` of what it holds is
"heard" at `heard_at(i)`. Like a sound server it blocks a write while its buffer is full,
and inserts silence when the writer falls behind. The real one (PulseOutput) is held to
the same player contract in tests/audio/test_player_contract.py, and its starts are
measured as heard by benchmarks/playout.py --player scheduled."""

from __future__ import annotations

import threading
import time

from audio.pulse_output import FRAME_BYTES, RATE


class PacedOutput:
    def __init__(self, *, buffer_s: float = 0.04) -> None:
        self._buffer_s = buffer_s
        self._lock = threading.Lock()
        self.frames = bytearray()
        self._t0: float | None = None  # when frame 0 is heard

    def write(self, frames: bytes) -> None:
        with self._lock:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now + self._buffer_s
            behind = now - self.heard_at(len(self.frames) // FRAME_BYTES)
            if behind > 0:  # ran dry: the silence a sound card plays meanwhile
                self.frames += bytes(int(behind * RATE) * FRAME_BYTES)
            self.frames += frames
            wait = self.heard_at(len(self.frames) // FRAME_BYTES) - now - self._buffer_s
        if wait > 0:
            time.sleep(wait)

    def latency_s(self) -> float:
        with self._lock:
            if self._t0 is None:
                return 0.0
            return max(self.heard_at(len(self.frames) // FRAME_BYTES) - time.monotonic(), 0.0)

    def heard_at(self, frame: int) -> float:
        assert self._t0 is not None
        return self._t0 + frame / RATE

    def first_sound(self, after: int = 0, threshold: int = 300) -> int | None:
        """The first frame from `after` on whose samples reach `threshold`."""
        with self._lock:
            data = memoryview(bytes(self.frames)).cast("h")
        for sample in range(after * 2, len(data)):
            if abs(data[sample]) >= threshold:
                return sample // 2
        return None

    def close(self) -> None:
        pass
