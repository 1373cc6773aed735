"""A CAP `<resource>`'s `<uri>` fetched, only from a host the settings allow
(`cap_resource_hosts`), within a size limit and a deadline, into a file.

The server does not download whatever a document points at: an alert from outside must not
make it reach into a network of its choosing. Redirects are not followed (they could lead
off the allowed hosts).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from core.config import Settings
from core.errors import Invalid

PIECE = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class FetchRules:
    hosts: frozenset[str] = frozenset()
    max_bytes: int = 20 * 1024 * 1024
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchRules:
        return cls(
            hosts=frozenset(host.lower() for host in settings.cap_resource_hosts),
            max_bytes=settings.cap_resource_max_bytes,
            timeout_s=settings.cap_resource_timeout_s,
        )

    def allows(self, uri: str) -> bool:
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in self.hosts


@dataclass(frozen=True, kw_only=True)
class Fetched:
    path: Path
    size_bytes: int
    sha256: str


def fetch(uri: str, *, target: Path, rules: FetchRules, where: str) -> Fetched:
    """The resource at `uri` (which `rules.allows`) written to `target`; raises Invalid
    naming `where` if it cannot be had whole, in time and within the limit."""
    deadline = time.monotonic() + rules.timeout_s
    try:
        with (
            httpx.Client(timeout=rules.timeout_s, follow_redirects=False) as client,
            client.stream("GET", uri) as answer,
        ):
            if answer.status_code != httpx.codes.OK:
                raise Invalid(f"{uri} answered HTTP {answer.status_code}", field=where)
            declared = answer.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > rules.max_bytes:
                raise _too_large(uri, where, rules)
            return _written(answer, target, deadline, rules, uri, where)
    except httpx.HTTPError as exc:
        raise Invalid(f"{uri} could not be fetched: {exc}", field=where) from exc


def _written(
    answer: httpx.Response, target: Path, deadline: float, rules: FetchRules, uri: str, where: str
) -> Fetched:
    size, sha256 = 0, hashlib.sha256()
    with target.open("wb") as out:
        for piece in answer.iter_bytes(PIECE):
            size += len(piece)
            if size > rules.max_bytes:
                raise _too_large(uri, where, rules)
            # httpx's timeout is per read: a server trickling bytes is cut off here.
            if time.monotonic() > deadline:
                raise Invalid(f"{uri} took longer than {rules.timeout_s:g} s", field=where)
            sha256.update(piece)
            out.write(piece)
    return Fetched(path=target, size_bytes=size, sha256=sha256.hexdigest())


def _too_large(uri: str, where: str, rules: FetchRules) -> Invalid:
    return Invalid(f"{uri} is larger than {rules.max_bytes} bytes", field=where)
