"""Does captured audio match its source? Both are decoded by ffmpeg to the same mono rate,
and compared by duration and by normalised cross-correlation at the best small lag (a
decoder's priming samples shift the start a little)."""

from __future__ import annotations

import array
import math
import subprocess
from pathlib import Path

RATE = 8000


def decode(path: Path, *, offset_s: float = 0.0) -> array.array[int]:
    """Mono 16-bit samples at RATE, from `offset_s` in."""
    source = ["-ss", f"{offset_s:.3f}", "-i", str(path)]
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-nostdin",
            *source,
            "-ac",
            "1",
            "-ar",
            str(RATE),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    samples = array.array("h")
    samples.frombytes(raw)
    return samples


def seconds(path: Path) -> float:
    return len(decode(path)) / RATE


def correlation(a: array.array[int], b: array.array[int], *, max_lag_s: float = 0.05) -> float:
    """The normalised correlation of `a` against `b` over their overlap (1.0: the same
    waveform), at the lag of up to `max_lag_s` either way that fits their first half
    second best."""
    lag = round(lag_s(a, b, max_lag_s=max_lag_s) * RATE)
    return _at_lag(a, b, lag, min(len(a), len(b)))


def lag_s(a: array.array[int], b: array.array[int], *, max_lag_s: float = 0.05) -> float:
    """How far into `a` its match with the start of `b` lies, in seconds, over their first
    half second: positive when `b` lacks the start of `a`, negative when `b` has that much
    more before it."""
    max_lag = int(max_lag_s * RATE)
    window = RATE // 2
    return max(range(-max_lag, max_lag + 1), key=lambda k: _at_lag(a, b, k, window)) / RATE


def _at_lag(a: array.array[int], b: array.array[int], lag: int, length: int) -> float:
    x = a[max(lag, 0) :]
    y = b[max(-lag, 0) :]
    n = min(len(x), len(y), length)
    return _normalised(x[:n], y[:n])


def _normalised(x: array.array[int], y: array.array[int]) -> float:
    dot = sum(p * q for p, q in zip(x, y, strict=True))
    norm = math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
    return dot / norm if norm else 0.0
