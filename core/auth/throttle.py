"""Refuse logins for a while after repeated failures for one username from one address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.auth.models import LoginThrottle


@dataclass(frozen=True, kw_only=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


def locked_until(
    *, session: Session, username: str, address: str, now: datetime
) -> datetime | None:
    row = session.get(LoginThrottle, (username, address))
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_failure(
    *, session: Session, username: str, address: str, now: datetime, policy: ThrottlePolicy
) -> None:
    row = session.get(LoginThrottle, (username, address))
    if row is None:
        row = LoginThrottle(username=username, address=address, failures=0, window_started_at=now)
    if now - row.window_started_at > policy.window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures >= policy.max_failures:
        row.locked_until = now + policy.lockout
        row.failures = 0
        row.window_started_at = now
    session.add(row)


def record_success(*, session: Session, username: str, address: str) -> None:
    row = session.get(LoginThrottle, (username, address))
    if row is not None:
        session.delete(row)
