"""Which process polls a feed, and when it is next due. Every server process runs the
poller; a process polls a feed only after moving its `next_poll_at` from the value it read
to the end of a lease, in one conditional UPDATE: of several processes that saw the feed
due, exactly one succeeds (on SQLite and PostgreSQL alike), and a process that dies while
polling leaves the feed to be claimed again when the lease runs out."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from alerts.feeds.models import CapFeed

# The wait after a failure doubles each time, up to this.
MAX_BACKOFF_S = 3600.0
# Polls are spread by up to a tenth of their interval either way, so feeds configured
# together (or processes started together) do not all fetch at the same second.
JITTER = 0.1


def due_feeds(*, session: Session, now: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(id, next_poll_at) of enabled feeds due now, longest overdue first."""
    query = (
        select(CapFeed.id, CapFeed.next_poll_at)
        .where(col(CapFeed.enabled), col(CapFeed.next_poll_at) <= now)
        .order_by(col(CapFeed.next_poll_at))
        .limit(limit)
    )
    return [(feed_id, due) for feed_id, due in session.exec(query).all() if feed_id is not None]


def claim(*, session: Session, feed_id: int, seen: datetime, lease_until: datetime) -> bool:
    """True when this process now holds the poll (committed at once)."""
    result = session.execute(
        update(CapFeed)
        .where(col(CapFeed.id) == feed_id, col(CapFeed.next_poll_at) == seen)
        .values(next_poll_at=lease_until)
    )
    session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


def next_poll(
    *,
    now: datetime,
    interval_s: float,
    failures: int,
    spread: Callable[[], float] = random.random,
) -> datetime:
    """When to poll again: after the interval, or after a failure the interval doubled per
    failure in a row (at most MAX_BACKOFF_S, never less than the interval), jittered."""
    wait = interval_s if failures == 0 else min(interval_s * 2**failures, MAX_BACKOFF_S)
    wait = max(wait, interval_s)
    return now + timedelta(seconds=wait * (1 + JITTER * (2 * spread() - 1)))
