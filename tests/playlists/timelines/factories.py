"""Approved audio and soft queue entries, for the builds' tests."""

from __future__ import annotations

import hashlib

from core.clock import Clock
from playlists.content.crud import get_item
from playlists.content.models import ContentItem, ContentKind, ContentStatus
from playlists.sessions import queue
from playlists.sessions.models import QueueIn
from scheduler.keeper import PlaylistKeeper
from tests.playlists.content.factories import actor, make_item
from tests.playlists.sessions.factories import DAILY
from tests.world import World, now


def approved_audio(world: World, area: str, *, seconds: float = 60.0, title: str = "Tin") -> int:
    """An approved audio item of `seconds` (its file is not needed to build playlists)."""
    sha = hashlib.sha256(world.fresh_name("audio ").encode()).hexdigest()
    item_id = make_item(
        world, area, kind=ContentKind.audio, status=ContentStatus.approved, sha256=sha, title=title
    )
    with world.database.session(write=True) as session:
        item = session.get(ContentItem, item_id)
        assert item is not None
        item.duration_s = seconds
        session.add(item)
        session.commit()
    return item_id


def queue_into(world: World, session_id: int, content_id: int, *, order: int = 0) -> int:
    """A soft entry: the content plays in the session every day."""
    with world.database.session(write=True) as session:
        entry = queue.create_entry(
            session=session,
            content=get_item(session=session, item_id=content_id),
            entry_in=QueueIn(
                content_id=content_id, session_id=session_id, recurrence=DAILY, order=order
            ),
            actor=actor(world, "operator_a"),
            now=now(),
        )
        session.commit()
        assert entry.id is not None
        return entry.id


def build(world: World, clock: Clock) -> None:
    """One keeper tick at the clock's time, three days ahead."""
    PlaylistKeeper(
        database=world.database, clock=clock, horizon_days=3, timezone="Asia/Ho_Chi_Minh"
    ).tick()
