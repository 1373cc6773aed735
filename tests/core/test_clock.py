"""The clock contract, for the system clock and the tests' settable one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import Clock, SystemClock
from tests.clock import SettableClock


@pytest.mark.parametrize(
    "clock", [SystemClock(), SettableClock(datetime(2026, 11, 29, tzinfo=UTC))], ids=type
)
def test_now_is_aware_utc_and_does_not_run_backwards(clock: Clock) -> None:
    first = clock.now()
    if isinstance(clock, SettableClock):
        clock.advance(timedelta(seconds=1))
    second = clock.now()
    assert first.tzinfo is not None and first.utcoffset() == timedelta(0)
    assert second >= first
