"""What a person does to the library, for the API's routes and the web pages alike: make an
item from speech, an upload or a relay; send it through review; find its audio. Each takes
the caller's access control, so both check the same scope in the same place."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from core.auth.deps import AccessControl
from core.errors import NotFound
from playlists.content import crud
from playlists.content.audio_service import Speech, Upload, commit_with_audio, make_audio
from playlists.content.models import (
    ContentItem,
    ContentKind,
    ContentMeta,
    RelayCheck,
    RelayCreate,
    TtsCreate,
)
from playlists.content.services import ContentServices
from playlists.content.workflow import Step


def item_in_scope(
    *, session: Session, access: AccessControl, item_id: int, for_update: bool = False
) -> ContentItem:
    """The item, refused unless its area is in the caller's scope for their action."""
    item = crud.get_item(session=session, item_id=item_id, for_update=for_update)
    access.require_area(item.area_id, what=f"content #{item_id}")
    return item


def release(session: Session) -> None:
    """End the transaction before minutes of ffmpeg or TTS: no database lock is held
    while the audio is made."""
    session.commit()


def _store_new(
    session: Session,
    access: AccessControl,
    services: ContentServices,
    new: crud.NewItem,
    now: datetime,
) -> ContentItem:
    item = crud.create_item(session=session, new=new, actor=access.actor, now=now)
    commit_with_audio(session=session, services=services, audio=new.audio)
    return item


def create_spoken(
    *,
    session: Session,
    access: AccessControl,
    services: ContentServices,
    tts_in: TtsCreate,
    now: datetime,
) -> ContentItem:
    access.require_area(tts_in.area_id, what="new content", field="area_id")
    speech = Speech(text=tts_in.text, language=tts_in.language, voice=tts_in.voice)
    release(session)
    with make_audio(services, speech) as made:
        new = crud.NewItem(kind=ContentKind.tts, meta=tts_in, audio=made.result, voice=made.voice)
        return _store_new(session, access, services, new, now)


def create_uploaded(
    *,
    session: Session,
    access: AccessControl,
    services: ContentServices,
    meta: ContentMeta,
    stream: BinaryIO,
    filename: str | None,
    now: datetime,
) -> ContentItem:
    access.require_area(meta.area_id, what="new content", field="area_id")
    release(session)
    with make_audio(services, Upload(stream)) as made:
        new = crud.NewItem(
            kind=ContentKind.audio,
            meta=meta,
            audio=made.result,
            original_filename=(filename or "")[:255] or None,
        )
        return _store_new(session, access, services, new, now)


def create_relay(
    *, session: Session, access: AccessControl, relay_in: RelayCreate, now: datetime
) -> ContentItem:
    """The relay, committed with its check pending: the caller starts the check."""
    access.require_area(relay_in.area_id, what="new content", field="area_id")
    new = crud.NewItem(kind=ContentKind.relay, meta=relay_in, stream_url=str(relay_in.stream_url))
    item = crud.create_item(session=session, new=new, actor=access.actor, now=now)
    item.relay_check = RelayCheck.pending
    session.commit()
    return item


def review(
    *,
    session: Session,
    access: AccessControl,
    item_id: int,
    step: Step,
    now: datetime,
    reason: str | None = None,
) -> ContentItem:
    """Submit, approve, reject or archive, committed."""
    item = item_in_scope(session=session, access=access, item_id=item_id, for_update=True)
    if step == Step.approve:
        # Approving retires the version on air: that one must be in scope too.
        for previous in crud.versions_to_retire(session=session, item=item):
            access.require_area(previous.area_id, what=f"content #{previous.id}")
    item = crud.apply_step(
        session=session, item=item, step=step, actor=access.actor, now=now, reason=reason
    )
    session.commit()
    return item


def audio_path(*, services: ContentServices, item: ContentItem) -> Path:
    """The stored file of an item in scope (checked by the caller with item_in_scope)."""
    if item.sha256 is None:
        raise NotFound(f"content #{item.id} is a relay: it has no stored audio")
    path = services.storage.path(item.sha256)
    if not path.exists():
        raise NotFound(f"the audio of content #{item.id} is missing from storage")
    return path
