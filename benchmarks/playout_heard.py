"""The playout benchmark on a paced output, heard: VLC plays into a PulseAudio null sink (as
DESIGN.md describes for a machine without a sound card), parec records the sink's monitor,
and each item's start is found in the recording itself, so the figures are what a
loudspeaker would emit, output latency included.

Every item is a tone of its own pitch (playout_passes.pitch), so its start is where the
recording's energy at that pitch rises: a 50 ms window (the items before and after are over
a kilohertz away, so their tails leak next to nothing into it) slides in 1 ms steps, and
the start is where the energy reaches half its plateau, less half the window. The
recording's first sample is put on the wall clock by the reads of parec's output near it
(RecordingClock): each bounds it from above, so the starts heard are, if anything, a
little late.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import math
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime

from benchmarks.playout_passes import Item, pitch

RATE = 16_000
SINK = "loaxa_bench"
WINDOW_S = 0.05
STEP = RATE // 1000  # 1 ms
BEFORE_S = 0.25  # searched before the planned start


def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10)


@contextlib.contextmanager
def null_sink() -> Iterator[str]:
    """A null sink to play into: on the running PulseAudio, or on one started here (and
    stopped after). VLC's pulse output plays into it (PULSE_SINK)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime or not os.access(runtime, os.W_OK):
        # Where PulseAudio keeps its socket: a root shell or CI often has none.
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="loaxa-pulse-")
    try:
        yield from _sink()
    finally:
        if runtime is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = runtime


def _sink() -> Iterator[str]:
    started = _pactl("info").returncode != 0
    if started:
        subprocess.run(
            [
                "pulseaudio",
                "-n",
                "--daemonize=yes",
                "--exit-idle-time=-1",
                "--load=module-native-protocol-unix",
                "--log-target=syslog",
            ],
            check=True,
            timeout=20,
        )
        deadline = time.monotonic() + 10
        while _pactl("info").returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("PulseAudio did not start")
            time.sleep(0.05)
    loaded = _pactl("load-module", "module-null-sink", f"sink_name={SINK}")
    if loaded.returncode != 0:
        raise RuntimeError(f"no null sink: {loaded.stderr.strip()}")
    previous = os.environ.get("PULSE_SINK")
    os.environ["PULSE_SINK"] = SINK
    try:
        yield SINK
    finally:
        if previous is None:
            os.environ.pop("PULSE_SINK", None)
        else:
            os.environ["PULSE_SINK"] = previous
        _pactl("unload-module", loaded.stdout.strip())
        if started:
            subprocess.run(["pulseaudio", "-k"], capture_output=True, timeout=10)


class Recording:
    """The sink's monitor, recorded by parec from now until `stop`, mono at RATE."""

    def __init__(self, sink: str) -> None:
        self._process = subprocess.Popen(
            [
                "parec",
                f"--device={sink}.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=2",
            ],
            stdout=subprocess.PIPE,
        )
        self._data = bytearray()
        self._reads: list[tuple[int, float]] = []  # (samples so far, wall time of the read)
        self._flowing = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # parec's first samples come about 2 s after it starts: the pass waits for them.
        if not self._flowing.wait(timeout=15):
            self._process.kill()
            raise RuntimeError("parec recorded nothing from the null sink's monitor")

    def _read(self) -> None:
        assert self._process.stdout is not None
        out = self._process.stdout.fileno()
        while chunk := os.read(out, 640):  # 20 ms
            now = time.time()
            self._data += chunk
            self._reads.append((len(self._data) // 2, now))
            self._flowing.set()

    def stop(self) -> tuple[array.array[int], RecordingClock]:
        self._process.terminate()
        self._process.wait(timeout=10)
        self._thread.join(timeout=10)
        samples = array.array("h")
        samples.frombytes(bytes(self._data[: len(self._data) // 2 * 2]))
        return samples, RecordingClock(self._reads)


class RecordingClock:
    """Samples of the recording on the wall clock, by the reads near each: a sample read
    at t with k samples after it was recorded by t - k / RATE, so the smallest such bound
    over the next second of reads places it (the sink's clock and the wall clock drift
    apart over minutes, so no single origin holds for a whole pass)."""

    NEAR = RATE  # reads within a second after the sample

    def __init__(self, reads: list[tuple[int, float]]) -> None:
        self._reads = reads
        self._counts = [count for count, _ in reads]
        self._times = [at for _, at in reads]

    def wall(self, sample: int) -> float:
        index = bisect.bisect_left(self._counts, sample)
        near = self._reads[index : bisect.bisect_right(self._counts, sample + self.NEAR)]
        if not near:
            near = self._reads[-1:]
        return min(at - (count - sample) / RATE for count, at in near)

    def sample(self, moment: float) -> int:
        """The sample recorded at the wall time `moment` (the first read after it, back)."""
        index = bisect.bisect_left(self._times, moment)
        count, at = self._reads[min(index, len(self._reads) - 1)]
        guess = int(count - (at - moment) * RATE)
        return guess + int((moment - self.wall(max(guess, 0))) * RATE)


def heard_starts(
    samples: array.array[int], clock: RecordingClock, items: list[Item]
) -> dict[int, datetime]:
    """Each item's start as heard, on the wall clock (items not found are left out)."""
    heard = {}
    for index, item in enumerate(items):
        at = _onset(samples, clock, item, pitch(index))
        if at is not None:
            heard[index] = datetime.fromtimestamp(at, item.start.tzinfo)
    return heard


def _onset(
    samples: array.array[int], clock: RecordingClock, item: Item, frequency: float
) -> float | None:
    window = int(WINDOW_S * RATE)
    planned = clock.sample(item.start.timestamp())
    lo = max(planned - int(BEFORE_S * RATE), 0)
    hi = min(planned + int(min(0.3, 0.8 * item.duration_s) * RATE), len(samples))
    if hi - lo <= window:
        return None
    start = max(lo - window, 0)
    step = 2 * math.pi * frequency / RATE
    re, im = [0.0], [0.0]  # prefix sums of the samples against the pitch
    for n in range(start, hi):
        value = samples[n]
        re.append(re[-1] + value * math.cos(step * n))
        im.append(im[-1] + value * math.sin(step * n))
    energy = []
    for end in range(lo, hi, STEP):
        a, b = end - window - start, end - start
        if a < 0:
            continue
        energy.append((end, math.hypot(re[b] - re[a], im[b] - im[a])))
    if not energy:
        return None
    plateau = max(value for _, value in energy)
    if plateau < window * 100:  # nothing at that pitch: not heard
        return None
    half = next(end for end, value in energy if value >= plateau / 2)
    return clock.wall(int(half - window / 2))
