"""What an alert plays: approved audio from the library, or its text read by TTS at once
(an emergency bulletin cannot wait for the content workflow)."""

from __future__ import annotations

from sqlmodel import Session

from alerts.crud import AlertAudio
from alerts.models import AlertCreate, AlertType
from audio.ingest import ingest_file
from audio.tts.engine import pick_voice
from audio.tts.render import render_speech
from core.auth.deps import AccessControl
from core.errors import Invalid
from playlists.content.crud import get_item
from playlists.content.models import ContentStatus
from playlists.content.services import ContentServices

NO_AUDIO = AlertAudio(sha256=None, duration_s=0.0, size_bytes=0)


def alert_audio(
    *,
    session: Session,
    access: AccessControl,
    services: ContentServices,
    alert_in: AlertCreate,
) -> AlertAudio:
    if alert_in.msg_type == AlertType.cancel:
        return NO_AUDIO
    if alert_in.content_id is not None:
        return _approved(session, access, alert_in.content_id)
    assert alert_in.text is not None  # AlertCreate asks for one of the two
    return _spoken(services, alert_in.text, alert_in.language)


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


def _spoken(services: ContentServices, text: str, language: str) -> AlertAudio:
    engine, voice = pick_voice(list(services.tts_engines), language=language, voice=None)
    with services.work_dir() as work_dir:
        speech = render_speech(text=text, engine=engine, voice=voice, work_dir=work_dir)
        audio = ingest_file(source=speech, work_dir=work_dir, settings=services.ingest)
        # Stored before the alert is committed: agents fetch it the moment it is issued.
        services.storage.put(audio.output, audio.sha256)
    return AlertAudio(sha256=audio.sha256, duration_s=audio.duration_s, size_bytes=audio.size_bytes)
