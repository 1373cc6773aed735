"""Opaque bearer tokens: the client holds the token, the database holds its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select, update

from core.auth.models import AuthToken, User
from core.db import Database


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    *, session: Session, user: User, now: datetime, ttl: timedelta
) -> tuple[str, AuthToken]:
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    row = AuthToken(
        token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + ttl
    )
    session.add(row)
    return token, row


def user_for_token(*, session: Session, token: str, now: datetime) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to, else None."""
    row = session.exec(select(AuthToken).where(AuthToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


# One prepared read on a plain connection: the live parts' polls ask it (web/live.py).
_VALID = (
    sa_select(col(AuthToken.id))
    .join(User, col(User.id) == AuthToken.user_id)
    .where(
        col(AuthToken.token_hash) == bindparam("token_hash"),
        col(AuthToken.revoked_at).is_(None),
        col(AuthToken.expires_at) > bindparam("now"),
        col(User.is_active).is_(True),
    )
)


def token_is_valid(*, database: Database, token: str, now: datetime) -> bool:
    """What user_for_token checks, in one query and without an ORM session."""
    return database.read_one(_VALID, {"token_hash": _digest(token), "now": now}) is not None


def revoke_token(*, session: Session, token: str, now: datetime) -> None:
    session.execute(
        update(AuthToken)
        .where(col(AuthToken.token_hash) == _digest(token), col(AuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def revoke_user_tokens(*, session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(AuthToken)
        .where(col(AuthToken.user_id) == user_id, col(AuthToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
