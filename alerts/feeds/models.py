"""CAP feeds polled by the server (cap_feed), and each document a feed linked to
(cap_feed_document), so a document is fetched and imported once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, field_validator
from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime

# A CAP <sender> holds no whitespace or comma (alerts/cap.py refuses them).
_SENDER = re.compile(r"[^\s,<&]+")
# A host name's labels: letters, digits, inner hyphens, 1-63 characters each.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
MAX_URL = 2000


class CapFeedBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=MAX_URL)
    # Minutes are what people configure; seconds are what the tests need.
    interval_s: int = Field(default=60, ge=5, le=86_400, description="How often to poll it")
    silent_after_s: int = Field(
        default=86_400,
        ge=60,
        le=30 * 86_400,
        description="The feed is shown `silent` when no new document came for this long",
    )
    issue_now: bool = Field(
        default=False,
        description="Issue its alerts at once (the owner must hold approver rights too, "
        "under alert_single_confirmation and the sender's station ceiling); otherwise "
        "they wait for an approver",
    )
    enabled: bool = True


class CapFeedCreate(CapFeedBase, InputModel):
    area_id: Id = Field(
        description="The managing area: the feed's alerts are managed there and may only "
        "reach inside it"
    )
    senders: list[str] = Field(
        min_length=1,
        max_length=50,
        description="The CAP <sender>s it accepts; a document from another is skipped",
    )
    link_hosts: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Hosts besides the feed's own its entries may link documents on (e.g. "
        "api.weather.gov); a link to any other host is refused, never fetched",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("link_hosts")
    @classmethod
    def _link_hosts(cls, value: list[str]) -> list[str]:
        return _hosts_of(value)

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        return _senders_of(value)


class CapFeedUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "url",
            "senders",
            "link_hosts",
            "interval_s",
            "silent_after_s",
            "issue_now",
            "enabled",
        }
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL)
    senders: list[str] | None = Field(default=None, min_length=1, max_length=50)
    link_hosts: list[str] | None = Field(default=None, max_length=20)
    interval_s: int | None = Field(default=None, ge=5, le=86_400)
    silent_after_s: int | None = Field(default=None, ge=60, le=30 * 86_400)
    issue_now: bool | None = None
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _senders_of(value)

    @field_validator("link_hosts")
    @classmethod
    def _link_hosts(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _hosts_of(value)


def _http_url(value: str) -> str:
    parsed = AnyHttpUrl(value)  # raises a ValueError naming what is wrong
    if parsed.scheme not in ("http", "https"):
        raise ValueError("the feed's URL must be http:// or https://")
    return value


def _hosts_of(value: list[str]) -> list[str]:
    for host in value:
        if not _HOST.fullmatch(host):
            raise ValueError(
                f"{host!r} is not a host name: e.g. api.weather.gov, no scheme or path"
            )
    return list(dict.fromkeys(host.lower() for host in value))


def link_allowed(link: str, *, feed_url: str, link_hosts: frozenset[str]) -> bool:
    """A feed's entry may link a document on the feed's own host or one it lists: a feed
    must not make the server fetch its internal addresses."""
    host = (urlsplit(link).hostname or "").lower()
    return host == (urlsplit(feed_url).hostname or "").lower() or host in link_hosts


def _senders_of(value: list[str]) -> list[str]:
    for sender in value:
        if len(sender) > 200 or not _SENDER.fullmatch(sender):
            raise ValueError(
                f"{sender!r} is not a CAP sender: at most 200 characters, no spaces or commas"
            )
    return list(dict.fromkeys(value))


class CapFeed(CapFeedBase, table=True):
    __tablename__ = "cap_feed"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    senders: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    link_hosts: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # The user whose rights its imports act with, checked at every poll.
    owner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    # When it is next due; a process claims a poll by moving it (alerts/feeds/claims.py).
    next_poll_at: datetime = Field(sa_type=UTCDateTime, index=True)
    failures: int = 0  # in a row, for the backoff
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_new_document_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DocumentOutcome(StrEnum):
    imported = "imported"  # an alert (or a recorded Cancel) was stored
    duplicate = "duplicate"  # its (sender, identifier) was stored already
    other_sender = "other_sender"  # skipped: the feed does not accept its sender
    refused = "refused"  # the import refused it (the reason is the feed's last error)
    failed = "failed"  # could not be fetched; tried again, a few times
    gave_up = "gave_up"  # could not be fetched after MAX_FETCH_ATTEMPTS


class CapFeedDocument(SQLModel, table=True):
    __tablename__ = "cap_feed_document"
    __table_args__ = (UniqueConstraint("feed_id", "url", name="uq_cap_feed_document_url"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("cap_feed.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    url: str = Field(max_length=MAX_URL)
    outcome: str = Field(max_length=20)
    attempts: int = 0
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    alert_id: int | None = None
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CapFeedPublic(CapFeedBase, OutputModel):
    id: int
    area_id: int
    senders: list[str]
    link_hosts: list[str]
    owner_id: int
    created_at: datetime
    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_new_document_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    # Failing, or no new document for longer than silent_after_s: look at the sender.
    silent: bool
    silent_reason: str | None


class CapFeedsPublic(OutputModel):
    data: list[CapFeedPublic]
    count: int


def silence(feed: CapFeed, now: datetime) -> str | None:
    """Why the feed counts as silent (None: it is heard)."""
    if not feed.enabled:
        return "it is disabled: nothing is polled"
    if feed.failures:
        return f"its last {feed.failures} poll(s) failed: {feed.last_error}"
    heard = feed.last_new_document_at or feed.created_at
    if now - heard > timedelta(seconds=feed.silent_after_s):
        return f"no new document since {heard.isoformat()}"
    return None
