"""Sessions and queue entries for tests, through the real data functions."""

from __future__ import annotations

from datetime import time

from core.audit.chain import Actor
from playlists.builder.recurrence import Recurrence, Repeat
from playlists.content.models import ContentKind, ContentStatus
from playlists.sessions import crud, queue
from playlists.sessions.models import QueueIn, SessionIn
from tests.playlists.content.factories import make_item
from tests.world import World, now

DAILY = Recurrence(repeat=Repeat.daily)


def make_session(
    world: World,
    area: str,
    *,
    start: time = time(5, 30),
    minutes: int = 30,
    targets: list[str] | None = None,
) -> int:
    session_in = SessionIn(
        name=world.fresh_name("Phiên "),
        area_id=world.areas[area],
        start=start,
        max_length_s=minutes * 60,
        recurrence=DAILY,
        target_area_ids=[world.areas[t] for t in targets or [area]],
    )
    with world.database.session(write=True) as session:
        found = crud.create_session(
            session=session,
            session_in=session_in,
            actor=Actor(id=None, name="test-setup"),
            now=now(),
        )
        session.commit()
        assert found.id is not None
        return found.id


def make_entry(
    world: World, area: str, *, session_id: int | None = None, content_id: int | None = None
) -> int:
    session_id = session_id or make_session(world, area)
    content_id = content_id or make_item(
        world, area, kind=ContentKind.relay, status=ContentStatus.approved
    )
    with world.database.session(write=True) as session:
        from playlists.content.crud import get_item

        content = get_item(session=session, item_id=content_id)
        entry = queue.create_entry(
            session=session,
            content=content,
            now=now(),
            entry_in=QueueIn(
                content_id=content_id,
                session_id=session_id,
                recurrence=DAILY,
                at=time(5, 35),
                relay_length_s=600,
            ),
            actor=Actor(id=world.users["operator_a"], name="operator_a"),
        )
        session.commit()
        assert entry.id is not None
        return entry.id
