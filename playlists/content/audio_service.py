"""The one way audio becomes stored content.

An upload, a typed text read by TTS, a TTS item read again, an alert's text and the
attention chime all go through `make_audio` (probe, decode, loudness, Opus, in a private
work folder removed afterwards) and into storage with `commit_with_audio`, which stores
the file, commits, and removes a file it added when the commit fails: neither a row nor a
file is left half-made (`commit_with_files` does the same for several files). Routes
call these; none assembles the pipeline itself.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, select

from audio.ingest import IngestResult, IngestStep, StepProgress, ingest_file
from audio.speech_cache import speech_key
from audio.tts.engine import TtsEngine, Voice, pick_voice
from audio.tts.render import render_speech
from playlists.content.models import ContentItem
from playlists.content.services import ContentServices
from playlists.content.storage import ContentStorage


@dataclass(frozen=True)
class Upload:
    """Bytes a person sent (read in 1 MiB pieces, never whole into memory)."""

    stream: BinaryIO


@dataclass(frozen=True)
class AudioPath:
    """An audio file already on this machine (a configured chime)."""

    path: Path


@dataclass(frozen=True, kw_only=True)
class Speech:
    """Text to be read by TTS; `voice` None takes the language's first voice."""

    text: str
    language: str
    voice: str | None = None


AudioSource = Upload | AudioPath | Speech


@dataclass(frozen=True)
class MadeAudio:
    result: IngestResult
    voice: str | None  # the TTS voice that spoke it, for Speech


@contextmanager
def make_audio(
    services: ContentServices, source: AudioSource, *, steps: StepProgress | None = None
) -> Iterator[MadeAudio]:
    """The canonical file made from `source`; it lives until the block ends, so store it
    (commit_with_audio or store_audio) inside the block. Refusals are AudioRejected with
    an operator's explanation, and nothing is left behind. `steps` hears how far ingest is."""
    with services.work_dir() as work_dir:
        if isinstance(source, Speech):
            yield _spoken(services, source, work_dir, steps)
            return
        if isinstance(source, Upload):
            path = work_dir / "upload"
            with path.open("wb") as out:
                shutil.copyfileobj(source.stream, out, 1 << 20)
        else:
            path = source.path
        result = ingest_file(source=path, work_dir=work_dir, settings=services.ingest, steps=steps)
        yield MadeAudio(result, None)


def _spoken(
    services: ContentServices, speech: Speech, work_dir: Path, steps: StepProgress | None
) -> MadeAudio:
    """Read by TTS and ingested, or taken from the speech cache when this text was read
    by this voice through this pipeline before."""
    engine, voice = pick_voice(
        list(services.tts_engines), language=speech.language, voice=speech.voice
    )
    cache = services.speech_cache
    if cache is None:
        return MadeAudio(_read_aloud(services, speech, engine, voice, work_dir, steps), voice.name)
    key = speech_key(text=speech.text, engine=engine, voice=voice, settings=services.ingest)
    cached = cache.get(key, work_dir)
    if cached is not None:
        if steps is not None:
            for step in IngestStep:
                steps(step, None)
                steps(step, 1.0)
        return MadeAudio(cached, voice.name)
    result = _read_aloud(services, speech, engine, voice, work_dir, steps)
    cache.put(key, result)
    return MadeAudio(result, voice.name)


def _read_aloud(
    services: ContentServices,
    speech: Speech,
    engine: TtsEngine,
    voice: Voice,
    work_dir: Path,
    steps: StepProgress | None,
) -> IngestResult:
    path = render_speech(text=speech.text, engine=engine, voice=voice, work_dir=work_dir)
    return ingest_file(source=path, work_dir=work_dir, settings=services.ingest, steps=steps)


def in_use(*, session: Session, services: ContentServices, sha256: str) -> bool:
    """Whether a committed row (a content item, or what services.file_users know of) still
    refers to the file."""
    query = select(ContentItem.id).where(ContentItem.sha256 == sha256).limit(1)
    if session.exec(query).first() is not None:
        return True
    return any(uses(session, sha256) for uses in services.file_users)


@dataclass(frozen=True)
class NewFile:
    """A file to move into storage under the sha256 of its bytes."""

    path: Path
    sha256: str


def commit_with_audio(
    *, session: Session, services: ContentServices, audio: IngestResult | None
) -> None:
    """Move the new file into storage, then commit; if the commit fails, a file this call
    added is removed again unless something committed meanwhile refers to it."""
    files = [NewFile(audio.output, audio.sha256)] if audio is not None else []
    commit_with_files(session=session, services=services, files=files)


def commit_with_files(
    *, session: Session, services: ContentServices, files: Sequence[NewFile]
) -> None:
    """commit_with_audio for several files (an alert's audio and its sender's images):
    those this call added are removed again, unless in use, if storing or committing fails."""
    storage = services.storage
    added: list[str] = []
    try:
        for file in files:
            if storage.put(file.path, file.sha256):
                added.append(file.sha256)
        session.commit()
    except BaseException:
        session.rollback()
        for sha256 in added:
            if not in_use(session=session, services=services, sha256=sha256):
                storage.delete(sha256)
        raise


def store_audio(*, storage: ContentStorage, audio: IngestResult) -> None:
    """Into storage with no row to commit (the chime, which every process makes alike)."""
    storage.put(audio.output, audio.sha256)
