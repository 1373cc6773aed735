"""Alert latencies, the pure part of the alert delivery report: examples, then properties
over generated deliveries."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reports.alert_latency import (
    P95_FROM,
    Ack,
    StationLatency,
    spread,
    station_latencies,
    summarise,
)

ISSUED = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
TIMEOUT = timedelta(seconds=30)


def _at(seconds: float | None) -> datetime | None:
    return ISSUED + timedelta(seconds=seconds) if seconds is not None else None


def _ack(station: int, received: float | None, started: float | None = None) -> Ack:
    finished = started + 12 if started is not None else None
    return Ack(station, _at(received), _at(started), _at(finished))


def _latencies(acks: list[Ack], *, after_s: float) -> tuple[StationLatency, ...]:
    now = ISSUED + timedelta(seconds=after_s)
    return station_latencies(ISSUED, acks, now=now, ack_timeout=TIMEOUT)


def test_each_station_from_issue_and_the_silent_one_once_the_timeout_is_past() -> None:
    acks = [_ack(3, None), _ack(1, 1.5, 2.5), _ack(2, 4.0)]
    late = _latencies(acks, after_s=60)
    assert [(s.ack.station_id, s.to_received_s, s.to_started_s) for s in late] == [
        (1, 1.5, 2.5),
        (2, 4.0, None),
        (3, None, None),
    ]
    assert [s.never_acknowledged for s in late] == [False, False, True]
    summary = summarise(late)
    assert (summary.targeted, summary.received, summary.started) == (3, 2, 1)
    assert summary.never_acknowledged == 1
    assert (summary.to_received.median_s, summary.to_received.max_s) == (2.75, 4.0)
    assert summary.to_received.p95_s is None  # three stations: the maximum says it
    assert (summary.to_started.median_s, summary.to_started.max_s) == (2.5, 2.5)

    early = _latencies(acks, after_s=TIMEOUT.total_seconds())  # not longer ago than it
    assert summarise(early).never_acknowledged == 0


def test_an_alert_never_issued_has_no_latencies_and_no_one_to_call() -> None:
    acks = [_ack(1, None)]
    [latency] = station_latencies(None, acks, now=ISSUED, ack_timeout=TIMEOUT)
    assert (latency.to_received_s, latency.never_acknowledged) == (None, False)
    empty = summarise(())
    assert (empty.targeted, empty.to_received.median_s, empty.to_started.max_s) == (0, None, None)


def test_the_95th_percentile_is_a_time_some_station_took_from_twenty_stations_on() -> None:
    twenty = spread([float(s) for s in range(1, 21)])
    assert (twenty.median_s, twenty.p95_s, twenty.max_s) == (10.5, 19.0, 20.0)
    assert spread([float(s) for s in range(1, P95_FROM)]).p95_s is None


_MS = st.integers(0, 600_000)  # an acknowledgement within ten minutes, to the millisecond


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Ack], datetime]:
    stations = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=40))
    acks = []
    for station in stations:
        received = draw(st.none() | _MS)
        started = None
        if received is not None:
            started = draw(st.none() | st.integers(received, received + 60_000))
        acks.append(Ack(station, _ms(received), _ms(started), None))
    return acks, ISSUED + timedelta(milliseconds=draw(_MS))


def _ms(milliseconds: int | None) -> datetime | None:
    return ISSUED + timedelta(milliseconds=milliseconds) if milliseconds is not None else None


def _seconds(at: datetime | None) -> float | None:
    return (at - ISSUED).total_seconds() if at is not None else None


@given(deliveries())
def test_one_latency_per_station_in_station_order_measured_from_the_issue(
    case: tuple[list[Ack], datetime],
) -> None:
    acks, now = case
    latencies = station_latencies(ISSUED, acks, now=now, ack_timeout=TIMEOUT)
    assert [s.ack.station_id for s in latencies] == sorted(a.station_id for a in acks)
    for latency in latencies:
        assert latency.to_received_s == _seconds(latency.ack.received_at)
        assert latency.to_started_s == _seconds(latency.ack.started_at)


@given(deliveries())
def test_the_counts_add_up_and_only_the_silent_are_called_after_the_timeout(
    case: tuple[list[Ack], datetime],
) -> None:
    acks, now = case
    summary = summarise(station_latencies(ISSUED, acks, now=now, ack_timeout=TIMEOUT))
    assert summary.targeted == len(acks)
    assert summary.started <= summary.received <= summary.targeted
    silent = summary.targeted - summary.received
    assert summary.never_acknowledged == (silent if now - ISSUED > TIMEOUT else 0)


@given(deliveries())
def test_each_spread_lies_within_the_times_the_stations_took(
    case: tuple[list[Ack], datetime],
) -> None:
    acks, now = case
    latencies = station_latencies(ISSUED, acks, now=now, ack_timeout=TIMEOUT)
    summary = summarise(latencies)
    for times, got in (
        ([s.to_received_s for s in latencies], summary.to_received),
        ([s.to_started_s for s in latencies], summary.to_started),
    ):
        values = [t for t in times if t is not None]
        if not values:
            assert (got.median_s, got.p95_s, got.max_s) == (None, None, None)
            continue
        assert got.median_s is not None and got.max_s == max(values)
        assert min(values) <= got.median_s <= got.max_s
        if len(values) < P95_FROM:
            assert got.p95_s is None
        else:
            assert got.p95_s in values and got.median_s <= got.p95_s <= got.max_s


@given(deliveries(), st.randoms())
def test_the_order_the_rows_come_in_changes_nothing(
    case: tuple[list[Ack], datetime], shuffler: random.Random
) -> None:
    acks, now = case
    shuffled = list(acks)
    shuffler.shuffle(shuffled)
    first = station_latencies(ISSUED, acks, now=now, ack_timeout=TIMEOUT)
    again = station_latencies(ISSUED, shuffled, now=now, ack_timeout=TIMEOUT)
    assert again == first and summarise(again) == summarise(first)
