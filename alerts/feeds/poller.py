"""The server duty that polls CAP feeds: every process runs it (workers.py); each feed's
poll is claimed by one process at a time (alerts/feeds/claims.py).

One poll: the owner's rights are checked (alerts/feeds/rights.py); the feed is fetched
conditionally (a 304 costs one request and nothing more); each document it links to that
this feed has not taken yet is fetched and imported once, in feed order, oldest first. A
document from a sender the feed does not accept is skipped and logged; one the import
refuses is recorded on the feed as its last error and never fetched again; one that could
not be fetched is tried at the next polls, MAX_FETCH_ATTEMPTS in all (the feed's validators
are not kept meanwhile, so the next poll lists it again). A failure of the feed itself
backs off, doubling the wait."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete
from sqlmodel import Session, col, select

from alerts.board import AlertBoard
from alerts.feeds.claims import claim, due_feeds, next_poll
from alerts.feeds.fetch import Fetcher, FetchError, TooLarge
from alerts.feeds.formats import FeedFormatError, read_listing
from alerts.feeds.importing import FeedImporter, import_document, read_document
from alerts.feeds.models import CapFeed, CapFeedDocument, DocumentOutcome, link_allowed
from alerts.feeds.rights import FeedRightsLost, feed_access
from audio.errors import AudioRejected
from core.clock import Clock
from core.config import Settings
from core.db import Database, chunks
from core.errors import Conflict, Forbidden, Invalid, NotFound
from playlists.content.services import ContentServices

log = logging.getLogger(__name__)

MAX_FETCH_ATTEMPTS = 3
FEEDS_PER_TICK = 20
FORGET_AFTER = timedelta(days=30)
_FINAL = {o.value for o in DocumentOutcome} - {DocumentOutcome.failed.value}


@dataclass(frozen=True, kw_only=True)
class _Feed:
    """What a poll reads of its feed before any request goes out (no transaction is held
    open across the network)."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    senders: frozenset[str]
    link_hosts: frozenset[str]


@dataclass(kw_only=True)
class PollResult:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    keep_validators: bool = True  # False: a document is to be fetched again next time
    new_documents: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class FeedPoller:
    database: Database
    importer: FeedImporter
    fetcher: Fetcher
    spread: Callable[[], float] = random.random

    def tick(self) -> int:
        """Poll the feeds due now that this process claims; returns how many it polled."""
        now = self.importer.clock.now()
        with self.database.session() as session:
            due = due_feeds(session=session, now=now, limit=FEEDS_PER_TICK)
        polled = 0
        for feed_id, seen in due:
            with self.database.session(write=True) as session:
                if not claim(
                    session=session, feed_id=feed_id, seen=seen, lease_until=self._lease()
                ):
                    continue  # another process has it
            self.poll(feed_id)
            polled += 1
        return polled

    def close(self) -> None:
        self.fetcher.client.close()

    def _lease(self) -> datetime:
        # Long enough for the feed and a few documents at their timeout each.
        lease = max(60.0, 10 * self.fetcher.timeout_s)
        return self.importer.clock.now() + timedelta(seconds=lease)

    def poll(self, feed_id: int) -> None:
        try:
            result = self._poll(feed_id)
        except (FeedRightsLost, FetchError, FeedFormatError) as exc:
            self._finish(feed_id, failure=str(exc))
        except Exception as exc:
            log.exception("CAP feed #%s: poll failed", feed_id)
            self._finish(feed_id, failure=f"internal error: {type(exc).__name__}: {exc}")
        else:
            self._finish(feed_id, result=result)

    def _poll(self, feed_id: int) -> PollResult | None:
        with self.database.session() as session:
            row = session.get(CapFeed, feed_id)
            if row is None:
                return None  # deleted meanwhile
            feed_access(session=session, feed=row)  # refuses before anything is fetched
            feed = _Feed(
                id=feed_id,
                url=row.url,
                etag=row.etag,
                last_modified=row.last_modified,
                senders=frozenset(json.loads(row.senders)),
                link_hosts=frozenset(json.loads(row.link_hosts)),
            )
        fetched = self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        result = PollResult(url=feed.url, etag=fetched.etag, last_modified=fetched.last_modified)
        if fetched.not_modified:
            return result
        listing = read_listing(fetched.body, base_url=feed.url)
        if listing.document is not None:
            # The URL is a CAP document: one body is taken once, whatever its validators.
            digest = hashlib.sha256(listing.document).hexdigest()
            key = f"{feed.url}#sha256={digest}"
            if self._seen(feed.id, (key,)).get(key, (None, 0))[0] not in _FINAL:
                self._document(feed, key, listing.document, result)
            return result
        seen = self._seen(feed.id, listing.links)
        for link in listing.links:
            if seen.get(link, (None, 0))[0] in _FINAL:
                continue
            if not link_allowed(link, feed_url=feed.url, link_hosts=feed.link_hosts):
                host = urlsplit(link).hostname
                self._refused(
                    feed,
                    link,
                    f"{link} is on {host}, neither the feed's host nor one of its link_hosts: "
                    "not fetched",
                    result,
                )
                continue
            try:
                limit = self.importer.settings.cap_max_bytes
                body = self.fetcher.fetch(link, max_bytes=limit).body
            except TooLarge as exc:
                self._refused(feed, link, str(exc), result)
                continue
            except FetchError as exc:
                self._fetch_failed(feed, link, str(exc), result)
                continue
            self._document(feed, link, body, result)
        self._forget(feed.id)
        return result

    def _forget(self, feed_id: int) -> None:
        """Let go of what became of documents after FORGET_AFTER, so the table does not grow
        with a busy feed's history: feeds list an alert for hours or days. One still listed
        is fetched once more and found stored already (a duplicate, no error)."""
        before = self.importer.clock.now() - FORGET_AFTER
        with self.database.session(write=True) as session:
            session.execute(
                delete(CapFeedDocument)
                .where(col(CapFeedDocument.feed_id) == feed_id)
                .where(col(CapFeedDocument.updated_at) < before)
            )
            session.commit()

    def _seen(self, feed_id: int, links: tuple[str, ...]) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        with self.database.session() as session:
            for batch in chunks(links):  # a national feed lists thousands
                rows = session.exec(
                    select(CapFeedDocument.url, CapFeedDocument.outcome, CapFeedDocument.attempts)
                    .where(CapFeedDocument.feed_id == feed_id)
                    .where(col(CapFeedDocument.url).in_(batch))
                ).all()
                found.update((url, (outcome, attempts)) for url, outcome, attempts in rows)
        return found

    def _fetch_failed(self, feed: _Feed, url: str, message: str, result: PollResult) -> None:
        attempts = self._note(feed.id, url, DocumentOutcome.failed, message)
        if attempts >= MAX_FETCH_ATTEMPTS:
            self._note(feed.id, url, DocumentOutcome.gave_up, message, attempt=False)
            result.errors.append(f"gave up after {attempts} attempts: {message}")
        else:
            result.keep_validators = False
            result.errors.append(message)

    def _document(self, feed: _Feed, url: str, body: bytes, result: PollResult) -> None:
        """Take one document: imported, a duplicate, skipped, or refused (recorded)."""
        result.new_documents += 1
        try:
            cap = read_document(body, max_bytes=self.importer.settings.cap_max_bytes)
        except Invalid as exc:
            self._refused(feed, url, str(exc), result)
            return
        if cap.sender not in feed.senders:
            log.warning(
                "CAP feed #%s: %s skipped: sender %r is not one the feed accepts",
                feed.id,
                url,
                cap.sender,
            )
            self._note(feed.id, url, DocumentOutcome.other_sender, f"sender {cap.sender!r}")
            return
        with self.database.session(write=True) as session:
            row = session.get(CapFeed, feed.id)
            if row is None:
                return
            try:
                access = feed_access(session=session, feed=row)
                alert_id = import_document(
                    importer=self.importer,
                    access=access,
                    document=body,
                    area_id=row.area_id,
                    issue_now=row.issue_now,
                )
            except Conflict as exc:
                session.rollback()
                self._note(feed.id, url, DocumentOutcome.duplicate, str(exc))
                return
            except (Invalid, Forbidden, NotFound, AudioRejected) as exc:
                session.rollback()
                where = f" ({exc.field})" if isinstance(exc, Invalid) and exc.field else ""
                self._refused(feed, url, f"{exc}{where}", result)
                return
        log.info("CAP feed #%s: %s imported as alert #%s", feed.id, url, alert_id)
        self._note(feed.id, url, DocumentOutcome.imported, None, alert_id=alert_id)

    def _refused(self, feed: _Feed, url: str, message: str, result: PollResult) -> None:
        log.warning("CAP feed #%s: %s refused: %s", feed.id, url, message)
        self._note(feed.id, url, DocumentOutcome.refused, message)
        result.errors.append(f"{url} refused: {message}")

    def _note(
        self,
        feed_id: int,
        url: str,
        outcome: DocumentOutcome,
        detail: str | None,
        *,
        alert_id: int | None = None,
        attempt: bool = True,
    ) -> int:
        """Record what became of a document; returns its fetch attempts so far."""
        now = self.importer.clock.now()
        with self.database.session(write=True) as session:
            row = _document_row(session, feed_id, url) or CapFeedDocument(
                feed_id=feed_id, url=url, outcome=outcome.value, first_seen_at=now, updated_at=now
            )
            row.outcome, row.detail, row.alert_id, row.updated_at = (
                outcome.value,
                detail,
                alert_id,
                now,
            )
            row.attempts += 1 if attempt else 0
            session.add(row)
            session.commit()
            return row.attempts

    def _finish(
        self, feed_id: int, *, result: PollResult | None = None, failure: str | None = None
    ) -> None:
        now = self.importer.clock.now()
        with self.database.session(write=True) as session:
            feed = session.get(CapFeed, feed_id)
            if feed is None:
                return
            feed.last_polled_at = now
            if failure is not None:
                log.warning("CAP feed #%s: %s", feed_id, failure)
                feed.failures += 1
                feed.last_error, feed.last_error_at = failure, now
            elif result is not None:
                feed.failures = 0
                feed.last_success_at = now
                if result.keep_validators and result.url == feed.url:
                    feed.etag, feed.last_modified = result.etag, result.last_modified
                if result.new_documents:
                    feed.last_new_document_at = now
                if result.errors:
                    feed.last_error, feed.last_error_at = result.errors[-1], now
            # A "poll now" asked meanwhile stays due now.
            if feed.next_poll_at > now:
                feed.next_poll_at = next_poll(
                    now=now, interval_s=feed.interval_s, failures=feed.failures, spread=self.spread
                )
            session.add(feed)
            session.commit()


def _document_row(session: Session, feed_id: int, url: str) -> CapFeedDocument | None:
    query = select(CapFeedDocument).where(
        CapFeedDocument.feed_id == feed_id, CapFeedDocument.url == url
    )
    return session.exec(query).first()


def build_feed_poller(
    *,
    settings: Settings,
    database: Database,
    clock: Clock,
    services: ContentServices,
    board: AlertBoard,
) -> FeedPoller | None:
    if not settings.cap_feeds_enabled:
        return None
    return FeedPoller(
        database=database,
        importer=FeedImporter(clock=clock, settings=settings, services=services, board=board),
        fetcher=Fetcher(
            client=httpx.Client(),
            max_bytes=settings.cap_feed_max_bytes,
            timeout_s=settings.cap_feed_timeout_s,
        ),
    )
