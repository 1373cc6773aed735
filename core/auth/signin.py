"""Signing in and out, for the API's bearer tokens and the web pages' cookie alike: one
place for the password check, the throttle and the token."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from core.auth import throttle
from core.auth.models import AuthToken
from core.auth.passwords import verify_password
from core.auth.tokens import issue_token
from core.auth.users import get_user_by_name
from core.config import Settings


class SignInRefused(Exception):
    """Wrong username or password, or an inactive account (never said which)."""


class SignInLocked(Exception):
    """Too many failures for this username from this address: wait `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"locked for {seconds} s")
        self.seconds = seconds

    @property
    def minutes(self) -> int:
        return math.ceil(self.seconds / 60)


@dataclass(frozen=True)
class SignedIn:
    token: str
    row: AuthToken


def throttle_policy(settings: Settings) -> throttle.ThrottlePolicy:
    return throttle.ThrottlePolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


def sign_in(
    *,
    session: Session,
    username: str,
    password: str,
    address: str,
    now: datetime,
    settings: Settings,
) -> SignedIn:
    """A new token for a valid sign-in; the caller commits (a failure is recorded and
    committed here, so the throttle counts it even though the caller refuses)."""
    until = throttle.locked_until(session=session, username=username, address=address, now=now)
    if until is not None:
        raise SignInLocked(math.ceil((until - now).total_seconds()))
    user = get_user_by_name(session=session, username=username)
    valid = verify_password(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        throttle.record_failure(
            session=session,
            username=username,
            address=address,
            now=now,
            policy=throttle_policy(settings),
        )
        session.commit()
        raise SignInRefused()
    throttle.record_success(session=session, username=username, address=address)
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    token, row = issue_token(session=session, user=user, now=now, ttl=ttl)
    return SignedIn(token, row)
