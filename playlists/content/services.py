"""What the content routes need from the outside world, built once per app."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from audio.ingest import IngestSettings
from audio.loudness import LoudnessTarget
from audio.speech_cache import SpeechCache
from audio.tts.engine import TtsEngine
from audio.tts.espeak import EspeakEngine
from core.config import Settings
from playlists.content.relay_check import StreamChecker, check_stream
from playlists.content.storage import ContentStorage, LocalStorage

# Whether something stored (an alert, ...) still refers to a file, by its sha256.
FileInUse = Callable[[Session, str], bool]


@dataclass(frozen=True, kw_only=True)
class ContentServices:
    storage: ContentStorage
    work_root: Path
    ingest: IngestSettings
    tts_engines: tuple[TtsEngine, ...]
    check_stream: StreamChecker
    # Who besides the content library keeps files in its storage (emergency alerts): a
    # file made for a commit that failed is removed only when none of them refers to it.
    file_users: tuple[FileInUse, ...] = ()
    # Texts already read by TTS and ingested (None: every text is read afresh).
    speech_cache: SpeechCache | None = None

    @contextmanager
    def work_dir(self) -> Iterator[Path]:
        """A private folder for one ingest, removed afterwards whatever happens."""
        self.work_root.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix="ingest-", dir=self.work_root))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


def content_root(settings: Settings) -> Path:
    """Where the content store keeps its files (LocalStorage): nginx serves from here."""
    return settings.data_dir / "content"


def speech_cache_root(settings: Settings) -> Path:
    """Where renderings of texts are kept: beside the content, never served."""
    return settings.data_dir / "cache" / "speech"


def build_content_services(
    settings: Settings, *, file_users: Sequence[FileInUse] = ()
) -> ContentServices:
    return ContentServices(
        file_users=tuple(file_users),
        storage=LocalStorage(content_root(settings)),
        work_root=settings.data_dir / "tmp",
        ingest=IngestSettings(
            target=LoudnessTarget(
                integrated_lufs=settings.loudness_target_lufs,
                true_peak_dbtp=settings.true_peak_dbtp,
            ),
            trim_silence=settings.trim_silence,
            bitrate_kbps=settings.opus_bitrate_kbps,
            max_duration_s=settings.max_audio_duration_s,
        ),
        tts_engines=(EspeakEngine(words_per_minute=settings.tts_words_per_minute),),
        check_stream=partial(check_stream, timeout_s=settings.relay_check_timeout_s),
        speech_cache=SpeechCache(speech_cache_root(settings)),
    )


async def get_content_services(request: Request) -> ContentServices:
    services: ContentServices = request.app.state.content
    return services


ContentServicesDep = Annotated[ContentServices, Depends(get_content_services)]
