"""The garbage collector's tuning for the server process, in one place.

Measured with the alert fan-out benchmark (10,000 agents on WebSockets, 2 cores): a full
collection over the objects of ten thousand connections pauses the whole process for
1.3-1.8 s, and the allocations of an alert's push set one off. Holding the collector while
a push goes out brought "all received" from 1.3-2.8 s to 1.27-1.42 s over 3 runs (bare
fan-out 0.82-0.98 s); freezing what startup made keeps those objects out of every later
pass, so each pass is shorter.
"""

from __future__ import annotations

import gc
import threading

# How long the collector waits once a push starts: longer than a push to 10,000 agents.
HOLD_S = 5.0

_lock = threading.Lock()
_holds = 0  # pushes whose hold has not ended yet


def freeze_startup() -> None:
    """What startup made lives as long as the process: out of every later collection."""
    gc.collect()
    gc.freeze()


def hold_collector(seconds: float = HOLD_S) -> None:
    """No collection for `seconds` (it catches up at once after); holds overlap safely."""
    global _holds
    with _lock:
        _holds += 1
        gc.disable()
    timer = threading.Timer(seconds, _release)
    timer.daemon = True
    timer.start()


def _release() -> None:
    global _holds
    with _lock:
        _holds -= 1
        if _holds == 0:
            gc.enable()
