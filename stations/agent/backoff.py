"""Exponential backoff with jitter, so a fleet that lost its server does not return at once."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self._initial_s = initial_s
        self._max_s = max_s
        self._failures = 0
        self._rng = rng or random.Random()

    def failed(self) -> float:
        """Note a failure; returns how long to wait before the next attempt."""
        self._failures += 1
        ceiling = min(self._max_s, self._initial_s * 2 ** min(self._failures - 1, 30))
        return self._rng.uniform(ceiling / 2, ceiling)

    def succeeded(self) -> None:
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures


def jittered(interval_s: float, jitter: float, rng: random.Random) -> float:
    """`interval_s` ± `jitter` (a fraction), so polls of many agents spread out."""
    return interval_s * rng.uniform(1 - jitter, 1 + jitter)
