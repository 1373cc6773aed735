"""The one audio service: a file made for a commit that fails is removed again, unless a
committed row (a content item, an alert) refers to it, or it was stored before."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from alerts.audio import alert_uses_file
from alerts.models import Alert
from audio.ingest import IngestStep
from core.areas.models import Area
from core.config import load_settings
from core.db import Database
from playlists.content import audio_service
from playlists.content.audio_service import AudioPath, Speech, commit_with_audio, make_audio
from playlists.content.services import ContentServices, build_content_services
from tests.audio.sounds import tone

NOW = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)


@pytest.fixture
def services(tmp_path: Path) -> ContentServices:
    settings = load_settings(
        database_url="sqlite:///:memory:", auto_migrate=False, data_dir=tmp_path / "data"
    )
    return build_content_services(settings, file_users=[alert_uses_file])


def _clash(session: Session) -> None:
    """Two areas with one code: the commit that follows fails."""
    session.add(Area(name="a", level="x", code="CLASH", timezone="UTC", created_at=NOW))
    session.add(Area(name="b", level="x", code="CLASH", timezone="UTC", created_at=NOW))


def _alert_using(sha256: str, area_id: int | None) -> Alert:
    return Alert(
        identifier=f"uses-{sha256[:8]}", sender="t", status="Actual", msg_type="Alert",
        reference_ids="[]", area_id=area_id, targets="{}", event="e", headline="h",
        urgency="Immediate", severity="Extreme", certainty="Observed", sha256=sha256,
        duration_s=1.0, size_bytes=1, volume=100, starts=NOW, expires=NOW, state="issued",
        created_at=NOW,
    )  # fmt: skip


def test_a_failed_commit_takes_its_new_file_away(
    database: Database, services: ContentServices, tmp_path: Path
) -> None:
    source = tone(tmp_path / "a.wav", seconds=1.0, level_db=-24)
    with make_audio(services, AudioPath(source)) as made, database.session(write=True) as s:
        _clash(s)
        with pytest.raises(IntegrityError):
            commit_with_audio(session=s, services=services, audio=made.result)
    assert services.storage.all() == set()


def test_a_file_an_alert_uses_stays_when_a_content_commit_fails(
    database: Database, services: ContentServices, tmp_path: Path
) -> None:
    source = tone(tmp_path / "a.wav", seconds=1.0, level_db=-24)
    with make_audio(services, AudioPath(source)) as made, database.session(write=True) as s:
        sha256 = made.result.sha256
        # Committed by someone else while this file was being stored (the same TTS text).
        with database.session(write=True) as other:
            area = Area(name="x", level="x", timezone="UTC", path="/x/", created_at=NOW)
            other.add(area)
            other.flush()
            other.add(_alert_using(sha256, area.id))
            other.commit()
        _clash(s)
        with pytest.raises(IntegrityError):
            commit_with_audio(session=s, services=services, audio=made.result)
    assert services.storage.all() == {sha256}


def test_a_text_read_again_comes_from_the_speech_cache_as_it_was_made(
    services: ContentServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's contract with the real thing: what a hit gives is what espeak-ng and
    ffmpeg make afresh, byte for byte, and a hit runs neither."""
    speech = Speech(text="Thông báo khẩn. Bão số 3 đang vào đất liền.", language="vi")
    with make_audio(services, speech) as made:
        first_bytes = made.result.output.read_bytes()
    uncached = replace(services, speech_cache=None)
    with make_audio(uncached, speech) as made:
        fresh, fresh_bytes = made.result, made.result.output.read_bytes()

    def refuse(**_: object) -> Path:
        raise AssertionError("read by TTS again")

    monkeypatch.setattr(audio_service, "render_speech", refuse)
    monkeypatch.setattr(audio_service, "ingest_file", refuse)
    steps: list[tuple[IngestStep, float | None]] = []
    with make_audio(services, speech, steps=lambda *step: steps.append(step)) as made:
        hit, hit_bytes = made.result, made.result.output.read_bytes()
        assert made.voice == "vi"
        assert made.result.output.parent.parent == services.work_root
    assert hit_bytes == fresh_bytes == first_bytes
    assert hashlib.sha256(hit_bytes).hexdigest() == hit.sha256
    assert {**vars(hit), "output": None} == {**vars(fresh), "output": None}
    assert steps == [(step, fraction) for step in IngestStep for fraction in (None, 1.0)]
    assert list(services.work_root.iterdir()) == []  # each work folder removed
