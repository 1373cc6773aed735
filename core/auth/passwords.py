"""Argon2id password hashes."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both failures take the same time.
    Made at the first sign-in, not at import: a hash costs a third of a second, which every
    `loaxa` command would otherwise pay at start."""
    return _hasher.hash("loaxa-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        known = password_hash is not None
        return _hasher.verify(password_hash or _dummy_hash(), password) and known
    except (VerificationError, InvalidHashError):
        return False
