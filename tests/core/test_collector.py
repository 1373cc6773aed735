"""The hold on the garbage collector while a push goes out: off, then back on by
itself afterwards, and not back early when a second push extends the hold."""

from __future__ import annotations

import gc
import time

from core.collector import HOLD_S as COLLECTOR_HOLD_S
from core.collector import hold_collector


def _enabled_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gc.isenabled():
            return True
        time.sleep(0.01)
    return gc.isenabled()


def test_the_collector_waits_while_a_push_goes_out_then_comes_back() -> None:
    assert _enabled_within(COLLECTOR_HOLD_S + 1), "an earlier test's alert holds it"
    hold_collector(0.1)
    assert not gc.isenabled()
    hold_collector(0.4)  # a second push while the first hold lasts
    time.sleep(0.2)
    assert not gc.isenabled(), "the first hold's end must not cut the second short"
    assert _enabled_within(2.0)
