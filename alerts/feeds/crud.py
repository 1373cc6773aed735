"""CAP feeds as configured: created, changed, deleted (each an audit event), and shown
with their state."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from alerts.feeds.models import (
    CapFeed,
    CapFeedCreate,
    CapFeedDocument,
    CapFeedPublic,
    CapFeedUpdate,
    silence,
)
from core.areas.models import Area
from core.audit.chain import Actor, Subject, record
from core.auth.permissions import in_scope
from core.errors import NotFound
from core.paging import Page, paginate


def _subject(feed: CapFeed) -> Subject:
    return Subject("cap_feed", feed.id, feed.area_id)


def _snapshot(feed: CapFeed) -> dict[str, Any]:
    return {
        "name": feed.name,
        "url": feed.url,
        "area_id": feed.area_id,
        "senders": json.loads(feed.senders),
        "link_hosts": json.loads(feed.link_hosts),
        "owner_id": feed.owner_id,
        "interval_s": feed.interval_s,
        "silent_after_s": feed.silent_after_s,
        "issue_now": feed.issue_now,
        "enabled": feed.enabled,
    }


def feed_public(feed: CapFeed, *, now: datetime) -> CapFeedPublic:
    reason = silence(feed, now)
    return CapFeedPublic.model_validate(
        feed,
        update={
            "senders": json.loads(feed.senders),
            "link_hosts": json.loads(feed.link_hosts),
            "silent": reason is not None,
            "silent_reason": reason,
        },
    )


def get_feed(*, session: Session, feed_id: int) -> CapFeed:
    feed = session.get(CapFeed, feed_id)
    if feed is None:
        raise NotFound(f"CAP feed #{feed_id} does not exist")
    return feed


def list_feeds(
    *, session: Session, prefixes: tuple[str, ...], page: Page
) -> tuple[list[CapFeed], int]:
    query = (
        select(CapFeed)
        .join(Area, col(Area.id) == CapFeed.area_id)
        .where(in_scope(col(Area.path), prefixes))
    )
    return paginate(session, query, page, col(CapFeed.id))


def create_feed(
    *, session: Session, feed_in: CapFeedCreate, owner: Actor, now: datetime
) -> CapFeed:
    """A new feed, owned by `owner` (its imports act with the owner's rights), due now."""
    assert owner.id is not None
    fields = feed_in.model_dump(exclude={"senders", "link_hosts"})
    feed = CapFeed(
        **fields,
        senders=json.dumps(feed_in.senders),
        link_hosts=json.dumps(feed_in.link_hosts),
        owner_id=owner.id,
        created_at=now,
        next_poll_at=now,
    )
    session.add(feed)
    session.flush()
    record(
        session=session,
        actor=owner,
        action="cap_feed.create",
        subject=_subject(feed),
        now=now,
        after=_snapshot(feed),
    )
    return feed


def update_feed(
    *, session: Session, feed: CapFeed, feed_in: CapFeedUpdate, actor: Actor, now: datetime
) -> CapFeed:
    """Change a feed; whoever changes it becomes its owner (its imports act with their
    rights from now on). A new URL starts afresh: no validators, due now."""
    assert actor.id is not None
    before = _snapshot(feed)
    changes = feed_in.model_dump(exclude_unset=True)
    if "senders" in changes:
        feed.senders = json.dumps(changes.pop("senders"))
    if "link_hosts" in changes:
        feed.link_hosts = json.dumps(changes.pop("link_hosts"))
    if "url" in changes and changes["url"] != feed.url:
        feed.etag = feed.last_modified = None
        feed.next_poll_at = now
    for name, value in changes.items():
        setattr(feed, name, value)
    feed.owner_id = actor.id
    session.add(feed)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="cap_feed.update",
        subject=_subject(feed),
        now=now,
        before=before,
        after=_snapshot(feed),
    )
    return feed


def poll_now(*, session: Session, feed: CapFeed, actor: Actor, now: datetime) -> CapFeed:
    """Make the feed due now: the next turn of any process's poller takes it."""
    feed.next_poll_at = now
    session.add(feed)
    record(
        session=session,
        actor=actor,
        action="cap_feed.poll_now",
        subject=_subject(feed),
        now=now,
    )
    return feed


def delete_feed(*, session: Session, feed: CapFeed, actor: Actor, now: datetime) -> None:
    """The feed and what it remembers of its documents go; the alerts it imported stay."""
    before = _snapshot(feed)
    session.execute(delete(CapFeedDocument).where(col(CapFeedDocument.feed_id) == feed.id))
    session.delete(feed)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="cap_feed.delete",
        subject=_subject(feed),
        now=now,
        before=before,
    )
