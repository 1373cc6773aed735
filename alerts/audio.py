"""What an alert plays: approved audio from the library, or its text read by TTS at once
(an emergency bulletin cannot wait for the content workflow)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session, select

from alerts.crud import AlertAudio
from alerts.models import Alert, AlertCreate, AlertType
from audio.ingest import IngestResult
from core.auth.deps import AccessControl
from core.errors import Invalid
from playlists.content.audio_service import Speech, make_audio
from playlists.content.crud import get_item
from playlists.content.models import ContentStatus
from playlists.content.services import ContentServices

NO_AUDIO = AlertAudio(sha256=None, duration_s=0.0, size_bytes=0)


@contextmanager
def alert_audio(
    *,
    session: Session,
    access: AccessControl,
    services: ContentServices,
    alert_in: AlertCreate,
) -> Iterator[tuple[AlertAudio, IngestResult | None]]:
    """What the alert plays, and the file just made for it (None for library audio): store
    it with commit_with_audio inside the block."""
    if alert_in.msg_type == AlertType.cancel:
        yield NO_AUDIO, None
    elif alert_in.content_id is not None:
        yield _approved(session, access, alert_in.content_id), None
    else:
        assert alert_in.text is not None  # AlertCreate asks for one of the two
        speech = Speech(text=alert_in.text, language=alert_in.language)
        with make_audio(services, speech) as made:
            audio = made.result
            yield (
                AlertAudio(
                    sha256=audio.sha256, duration_s=audio.duration_s, size_bytes=audio.size_bytes
                ),
                audio,
            )


def alert_uses_file(session: Session, sha256: str) -> bool:
    """An alert refers to the stored file: the content library must not remove it."""
    query = select(Alert.id).where(Alert.sha256 == sha256).limit(1)
    return session.exec(query).first() is not None


def _approved(session: Session, access: AccessControl, content_id: int) -> AlertAudio:
    item = get_item(session=session, item_id=content_id)
    access.require_area(item.area_id, what=f"content #{content_id}", field="content_id")
    if item.status != ContentStatus.approved or item.sha256 is None:
        raise Invalid(
            f"content #{content_id} is {item.status} without approved audio: an alert plays "
            "approved audio, or give its text to be read by TTS",
            field="content_id",
        )
    return AlertAudio(
        sha256=item.sha256,
        duration_s=item.duration_s or 0.0,
        size_bytes=item.size_bytes or 0,
        content_id=content_id,
    )
