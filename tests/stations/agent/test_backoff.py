"""Backoff doubles up to its ceiling (so an agent offline for a week still retries every
few minutes), with jitter, and starts again after a success."""

from __future__ import annotations

import random

from stations.agent.backoff import Backoff, jittered


def test_doubles_up_to_the_ceiling_with_jitter() -> None:
    backoff = Backoff(1.0, 300.0, random.Random(7))
    delays = [backoff.failed() for _ in range(12)]
    for attempt, delay in enumerate(delays):
        ceiling = min(300.0, 2.0**attempt)
        assert ceiling / 2 <= delay <= ceiling
    # A week of failures: still bounded by the ceiling, never overflowing.
    for _ in range(7 * 24 * 12):
        assert backoff.failed() <= 300.0


def test_a_success_starts_again_from_the_first_delay() -> None:
    backoff = Backoff(1.0, 300.0, random.Random(7))
    for _ in range(5):
        backoff.failed()
    backoff.succeeded()
    assert backoff.failed() <= 1.0


def test_poll_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(3)
    delays = [jittered(60.0, 0.1, rng) for _ in range(1000)]
    assert min(delays) >= 54.0 and max(delays) <= 66.0
    assert max(delays) - min(delays) > 10.0  # spread, not constant
