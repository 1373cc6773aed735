"""The agent's idea of the time. A Pi has no real-time clock and can boot hours off, so the
agent measures its offset to the server from its requests' round trips, NTP-style, and uses
the server's time while the system clock is not known to be synchronised or disagrees with
it by more than a threshold."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# adjtimex(2) says TIME_ERROR while the kernel's clock is not synchronised (no NTP lock).
_TIME_ERROR = 5
# Wall time minus monotonic time moving by more than this means the clock was stepped.
STEP_TOLERANCE_S = 1.0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None


def system_clock_synchronised() -> bool:
    """Does the kernel consider the system clock synchronised (chrony/NTP locked)?"""
    libc = _libc()
    if libc is None:
        return False
    timex = ctypes.create_string_buffer(512)  # modes = 0: read only
    try:
        state = int(libc.adjtimex(timex))
    except AttributeError:
        return False
    return 0 <= state != _TIME_ERROR


@dataclass(frozen=True, slots=True)
class Sample:
    offset: timedelta  # server time minus local time
    round_trip: timedelta
    # Local wall time minus monotonic time when taken: if the system clock is stepped later,
    # this no longer holds and the sample is stale.
    epoch: float


class OffsetEstimator:
    """Offset samples of the last few requests; the one with the shortest round trip wins,
    as its midpoint is the tightest bound on when the server read its clock."""

    def __init__(self, keep: int = 8, step_tolerance_s: float = STEP_TOLERANCE_S) -> None:
        self._samples: deque[Sample] = deque(maxlen=keep)
        self._step_tolerance_s = step_tolerance_s

    def add(
        self, *, sent: datetime, received: datetime, server_time: datetime, epoch: float
    ) -> None:
        round_trip = received - sent
        if round_trip < timedelta(0):
            return  # the clock stepped during the request
        midpoint = sent + round_trip / 2
        self._samples.append(Sample(server_time - midpoint, round_trip, epoch))

    def offset(self, epoch: float) -> timedelta | None:
        fresh = [s for s in self._samples if abs(s.epoch - epoch) <= self._step_tolerance_s]
        if len(fresh) < len(self._samples):
            self._samples = deque(fresh, maxlen=self._samples.maxlen)
        if not fresh:
            return None
        return min(fresh, key=lambda s: s.round_trip).offset


def wall_now() -> datetime:
    return datetime.now(UTC)


def clock_epoch() -> float:
    return time.time() - time.monotonic()


class CorrectedClock:
    """The time the playout engine goes by."""

    def __init__(
        self,
        estimator: OffsetEstimator,
        *,
        threshold: timedelta,
        synchronised: Callable[[], bool] = system_clock_synchronised,
        wall: Callable[[], datetime] = wall_now,
        epoch: Callable[[], float] = clock_epoch,
    ) -> None:
        self.estimator = estimator
        self._threshold = threshold
        self._synchronised = synchronised
        self._wall = wall
        self._epoch = epoch

    def correction(self) -> timedelta:
        """What is added to the system clock now: zero while it can be trusted."""
        measured = self.estimator.offset(self._epoch())
        if measured is None:
            return timedelta(0)
        if abs(measured) <= self._threshold and self._synchronised():
            return timedelta(0)
        return measured

    def now(self) -> datetime:
        return self._wall() + self.correction()

    def offset_ms(self) -> int:
        """The correction in use, as every record and heartbeat reports it."""
        return round(self.correction() / timedelta(milliseconds=1))
