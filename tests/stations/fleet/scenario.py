"""A station with a built playlist whose audio is really stored: what an agent syncs."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from audio.probe import probe
from playlists.content.models import ContentItem, ContentKind, ContentStatus
from playlists.content.storage import ContentStorage
from scheduler.keeper import PlaylistKeeper
from tests.clock import SettableClock
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import queue_into
from tests.world import World, now


@dataclass(frozen=True)
class StoredAudio:
    content_id: int
    sha256: str
    data: bytes


def stored_audio(
    world: World, area: str, storage: ContentStorage, *, size: int = 200_000
) -> StoredAudio:
    """Approved audio whose file (random bytes: the protocol does not care) is stored."""
    data = os.urandom(size)
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(data)
    storage.put(Path(handle.name), sha)
    return StoredAudio(_approved(world, area, sha, 30.0, size), sha, data)


def _approved(world: World, area: str, sha: str, seconds: float, size: int) -> int:
    item_id = make_item(
        world, area, kind=ContentKind.audio, status=ContentStatus.approved, sha256=sha
    )
    with world.database.session(write=True) as session:
        item = session.get(ContentItem, item_id)
        assert item is not None
        item.duration_s, item.size_bytes = seconds, size
        session.add(item)
        session.commit()
    return item_id


def keeper_for(world: World) -> PlaylistKeeper:
    return PlaylistKeeper(
        database=world.database,
        clock=SettableClock(now()),
        horizon_days=7,
        timezone="Asia/Ho_Chi_Minh",
    )


def schedule(world: World, area: str, audio: StoredAudio) -> int:
    """A daily session in the area with the audio queued into it; returns the session."""
    session_id = make_session(world, area)
    queue_into(world, session_id, audio.content_id)
    return session_id


def stored_sound(world: World, area: str, storage: ContentStorage, sound: Path) -> StoredAudio:
    """Approved audio whose file is real sound (moved into the storage), with its duration."""
    data = sound.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    seconds = probe(sound).duration_s
    assert seconds is not None
    storage.put(sound, sha)
    return StoredAudio(_approved(world, area, sha, seconds, len(data)), sha, data)
