"""How fast an alert reached its stations: from the moment it was issued to each station's
acknowledgements, and their spread over the stations.

Pure: the alert's issued_at, its delivery rows, `now` and the acknowledgement timeout in;
per-station latencies and a summary out. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Fewer stations than this and the 95th percentile is just the slowest one or two: the
# maximum already says that.
P95_FROM = 20


@dataclass(frozen=True, slots=True)
class Ack:
    """One station's delivery row: the first time it acknowledged each stage."""

    station_id: int
    received_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class StationLatency:
    ack: Ack
    to_received_s: float | None
    to_started_s: float | None
    # Nothing heard from the station, and the alert went out longer ago than the timeout.
    never_acknowledged: bool


@dataclass(frozen=True, slots=True)
class Spread:
    median_s: float | None
    p95_s: float | None  # only from P95_FROM values on
    max_s: float | None


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    targeted: int
    received: int
    started: int
    never_acknowledged: int
    to_received: Spread
    to_started: Spread


def station_latencies(
    issued_at: datetime | None, acks: Iterable[Ack], *, now: datetime, ack_timeout: timedelta
) -> tuple[StationLatency, ...]:
    """Each station's latencies, in station order. An alert never issued has none to give."""
    overdue = issued_at is not None and now - issued_at > ack_timeout
    return tuple(
        StationLatency(
            ack=ack,
            to_received_s=_since(issued_at, ack.received_at),
            to_started_s=_since(issued_at, ack.started_at),
            never_acknowledged=overdue and ack.received_at is None,
        )
        for ack in sorted(acks, key=lambda a: a.station_id)
    )


def summarise(latencies: Sequence[StationLatency]) -> DeliverySummary:
    return DeliverySummary(
        targeted=len(latencies),
        received=sum(1 for s in latencies if s.ack.received_at is not None),
        started=sum(1 for s in latencies if s.ack.started_at is not None),
        never_acknowledged=sum(1 for s in latencies if s.never_acknowledged),
        to_received=spread([s.to_received_s for s in latencies if s.to_received_s is not None]),
        to_started=spread([s.to_started_s for s in latencies if s.to_started_s is not None]),
    )


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(None, None, None)
    ordered = sorted(values)
    # Nearest rank: a time some station really took, never one between two stations.
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1] if len(ordered) >= P95_FROM else None
    return Spread(statistics.median(ordered), p95, ordered[-1])


def _since(issued_at: datetime | None, at: datetime | None) -> float | None:
    if issued_at is None or at is None:
        return None
    return (at - issued_at).total_seconds()
