"""Content for the pages' tests, through the real data functions."""

from __future__ import annotations

from playlists.content.crud import get_item
from playlists.content.models import ContentStatus
from tests.playlists.content.factories import make_item
from tests.world import World


def approved_recording(world: World, title: str, area: str = "A") -> int:
    """An approved bulletin a minute long, as an ingested recording would be (a relay has
    no length of its own, so it cannot be queued in turn)."""
    item_id = make_item(world, area, status=ContentStatus.approved, title=title)
    with world.database.session(write=True) as session:
        get_item(session=session, item_id=item_id).duration_s = 62.0
        session.commit()
    return item_id
