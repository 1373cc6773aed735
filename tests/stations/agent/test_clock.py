"""The offset estimate keeps the shortest round trip; the corrected clock uses the server's
time only while the system clock is unsynchronised or too far off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stations.agent.clock import CorrectedClock, OffsetEstimator

T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)
EPOCH = 1000.0


def _sample(
    estimator: OffsetEstimator, *, offset_s: float, rtt_s: float, epoch: float = EPOCH
) -> None:
    sent = T0
    received = sent + timedelta(seconds=rtt_s)
    # The server read its clock somewhere in the round trip; say a quarter in.
    server_time = sent + timedelta(seconds=rtt_s / 4 + offset_s)
    estimator.add(sent=sent, received=received, server_time=server_time, epoch=epoch)


def test_the_shortest_round_trip_wins() -> None:
    estimator = OffsetEstimator()
    _sample(estimator, offset_s=3600, rtt_s=2.0)
    _sample(estimator, offset_s=3600, rtt_s=0.02)
    _sample(estimator, offset_s=3600, rtt_s=0.8)
    offset = estimator.offset(EPOCH)
    assert offset is not None
    # The midpoint assumption errs by at most half the round trip: 10 ms here, not 1 s.
    assert abs(offset - timedelta(seconds=3600)) <= timedelta(milliseconds=10)


def test_samples_from_before_a_clock_step_are_dropped() -> None:
    estimator = OffsetEstimator()
    _sample(estimator, offset_s=7200, rtt_s=0.01)
    assert estimator.offset(EPOCH) is not None
    assert estimator.offset(EPOCH + 7200) is None  # chrony stepped the clock by two hours


def test_a_negative_round_trip_is_ignored() -> None:
    estimator = OffsetEstimator()
    estimator.add(sent=T0, received=T0 - timedelta(seconds=1), server_time=T0, epoch=EPOCH)
    assert estimator.offset(EPOCH) is None


def _clock(offset_s: float | None, synchronised: bool) -> CorrectedClock:
    estimator = OffsetEstimator()
    if offset_s is not None:
        _sample(estimator, offset_s=offset_s, rtt_s=0.0)
    return CorrectedClock(
        estimator,
        threshold=timedelta(milliseconds=500),
        synchronised=lambda: synchronised,
        wall=lambda: T0,
        epoch=lambda: EPOCH,
    )


def test_a_synchronised_clock_close_to_the_server_is_trusted() -> None:
    clock = _clock(0.2, synchronised=True)
    assert clock.now() == T0 and clock.offset_ms() == 0


def test_an_unsynchronised_clock_takes_the_servers_time() -> None:
    clock = _clock(0.2, synchronised=False)
    assert clock.now() == T0 + timedelta(milliseconds=200) and clock.offset_ms() == 200


def test_a_synchronised_clock_far_from_the_server_takes_the_servers_time() -> None:
    clock = _clock(-3 * 3600, synchronised=True)
    assert clock.now() == T0 - timedelta(hours=3) and clock.offset_ms() == -3 * 3600 * 1000


def test_without_any_measurement_the_system_clock_is_all_there_is() -> None:
    clock = _clock(None, synchronised=False)
    assert clock.now() == T0 and clock.offset_ms() == 0
