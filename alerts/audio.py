"""What an alert plays: approved audio from the library, the recording its CAP sender
attached, or its text read by TTS at once (an emergency bulletin cannot wait for the
content workflow)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlmodel import Session, col, or_, select

from alerts.cap_media import MediaFile
from alerts.crud import AlertAudio
from alerts.models import Alert, AlertCreate, AlertType
from audio.errors import AudioRejected
from audio.ingest import IngestResult
from core.auth.deps import AccessControl
from core.errors import Invalid
from playlists.content.audio_service import AudioPath, MadeAudio, Speech, make_audio
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
    recording: MediaFile | None = None,
) -> Iterator[tuple[AlertAudio, IngestResult | None]]:
    """What the alert plays, and the file just made for it (None for library audio): store
    it with commit_with_audio inside the block. A CAP sender's `recording` is played
    instead of TTS, normalised as any upload is."""
    if alert_in.msg_type == AlertType.cancel:
        yield NO_AUDIO, None
    elif alert_in.content_id is not None:
        yield approved_audio(session, access, alert_in.content_id), None
    else:
        with ExitStack() as stack:
            if recording is not None:
                made = stack.enter_context(_sender_recording(services, recording))
            else:
                assert alert_in.text is not None  # AlertCreate asks for one of the two
                speech = Speech(text=alert_in.text, language=alert_in.language)
                made = stack.enter_context(make_audio(services, speech))
            audio = made.result
            yield (
                AlertAudio(
                    sha256=audio.sha256, duration_s=audio.duration_s, size_bytes=audio.size_bytes
                ),
                audio,
            )


@contextmanager
def _sender_recording(services: ContentServices, recording: MediaFile) -> Iterator[MadeAudio]:
    # Refusals name the element it came from: the sender has the document, not the file.
    stack = ExitStack()
    try:
        made = stack.enter_context(make_audio(services, AudioPath(recording.path)))
    except AudioRejected as exc:
        raise Invalid(f"the audio cannot be broadcast: {exc}", field=recording.where) from exc
    with stack:
        yield made


def alert_uses_file(session: Session, sha256: str) -> bool:
    """An alert refers to the stored file (its audio, or an image its sender attached): the
    content library must not remove it."""
    # A sha256 is 64 hex digits: found in the images' JSON, it is one of theirs.
    uses = or_(col(Alert.sha256) == sha256, col(Alert.images).contains(sha256))
    query = select(Alert.id).where(uses).limit(1)
    return session.exec(query).first() is not None


def approved_audio(
    session: Session,
    access: AccessControl,
    content_id: int,
    *,
    instead: str = "an alert plays approved audio, or give its text to be read by TTS",
) -> AlertAudio:
    """The approved library audio `content_id`, in the caller's scope."""
    item = get_item(session=session, item_id=content_id)
    access.require_area(item.area_id, what=f"content #{content_id}", field="content_id")
    if item.status != ContentStatus.approved or item.sha256 is None:
        raise Invalid(
            f"content #{content_id} is {item.status} without approved audio: {instead}",
            field="content_id",
        )
    return AlertAudio(
        sha256=item.sha256,
        duration_s=item.duration_s or 0.0,
        size_bytes=item.size_bytes or 0,
        content_id=content_id,
    )
