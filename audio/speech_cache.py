"""Speech made once: a content-addressed cache of texts read by TTS and ingested.

Ingest is bit-exact, so the same text read by the same engine and voice through the same
pipeline is the same canonical file: making it again only costs seconds of espeak-ng and
ffmpeg. That happens on the server (an operator's "Nghe thử" preview, then the save of the
same text; a CAP update or a feed's re-import that keeps its text; an alert issued again).

The key holds everything that decides the bytes: the text, the voice, the engine's
fingerprint (its version and parameters), the ingest settings, ffmpeg's version and build,
and the source of the modules that render and ingest. Changing any of them is a miss,
never a stale file. Entries are written atomically (several server processes share one
folder), checked against their sha256 on the way out, and the least recently used are
evicted past a size bound.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from audio import ffmpeg, ingest, loudness, probe
from audio.ingest import CANONICAL_SUFFIX, IngestResult, IngestSettings, sha256_of
from audio.loudness import Loudness, SpeechSpan
from audio.probe import ProbeResult
from audio.tts import render, text
from audio.tts.engine import TtsEngine, Voice

# A bulletin's speech is tens to hundreds of kB: this keeps thousands.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# The modules whose code decides the bytes of a rendering (the engine's own module is
# added per engine).
_PIPELINE = (render, text, ingest, loudness, ffmpeg, probe)


def speech_key(*, text: str, engine: TtsEngine, voice: Voice, settings: IngestSettings) -> str:
    """The digest naming what `text` read by `voice` and ingested with `settings` becomes."""
    engine_module = sys.modules[type(engine).__module__]
    parts = {
        "text": text,
        "voice": voice.name,
        "engine": engine.fingerprint(),
        "ingest": settings.model_dump(mode="json"),
        "ffmpeg": _ffmpeg_version(),
        "code": _code_digest((*[m.__name__ for m in _PIPELINE], engine_module.__name__)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


@cache
def _ffmpeg_version() -> str:
    # The whole banner: the version, the build and each library's version.
    try:
        result = subprocess.run(
            ["ffmpeg", "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return "missing"  # ingest fails then, so nothing is stored under this key
    return result.stdout


@cache
def _code_digest(module_names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in module_names:
        source = sys.modules[name].__file__
        digest.update(name.encode())
        digest.update(Path(source).read_bytes() if source else b"")
    return digest.hexdigest()


class SpeechCache:
    """root/<key>.opus, the canonical file, beside root/<key>.json, its ingest result."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def get(self, key: str, work_dir: Path) -> IngestResult | None:
        """The cached result with its file copied into `work_dir` (the caller may move it
        into storage), or None. A damaged or half-evicted entry is a miss."""
        audio, meta = self._paths(key)
        output = work_dir / f"canonical{CANONICAL_SUFFIX}"
        try:
            fields = json.loads(meta.read_text())
            shutil.copyfile(audio, output)
        except (OSError, ValueError):
            return None
        result = _result(fields, output)
        if result is None or sha256_of(output) != result.sha256:
            output.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(audio)  # recently used: evicted last
        return result

    def put(self, key: str, result: IngestResult) -> None:
        """Keep a copy of `result` (its file stays where it is)."""
        self.root.mkdir(parents=True, exist_ok=True)
        audio, meta = self._paths(key)
        # The file first, then what names it: a reader never finds a result without its file.
        _write_atomic(audio, result.output.read_bytes())
        _write_atomic(meta, json.dumps(_fields(result)).encode())
        self._evict()

    def _paths(self, key: str) -> tuple[Path, Path]:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.root / f"{key}{CANONICAL_SUFFIX}", self.root / f"{key}.json"

    def _evict(self) -> None:
        entries = []
        for audio in self.root.glob(f"*{CANONICAL_SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = audio.stat()
                entries.append((stat.st_mtime, stat.st_size, audio))
        total = sum(size for _, size, _ in entries)
        for _, size, audio in sorted(entries):
            if total <= self.max_bytes:
                break
            # What names the file goes first, so no reader takes a result whose file is gone.
            audio.with_suffix(".json").unlink(missing_ok=True)
            audio.unlink(missing_ok=True)
            total -= size


def _fields(result: IngestResult) -> dict[str, Any]:
    fields = dataclasses.asdict(result)
    del fields["output"]
    return fields


def _result(fields: dict[str, Any], output: Path) -> IngestResult | None:
    try:
        return IngestResult(
            output=output,
            sha256=fields["sha256"],
            size_bytes=fields["size_bytes"],
            duration_s=fields["duration_s"],
            source=ProbeResult(**fields["source"]),
            before=Loudness(**fields["before"]),
            after=Loudness(**fields["after"]),
            gain_db=fields["gain_db"],
            span=SpeechSpan(**fields["span"]),
        )
    except (KeyError, TypeError):
        return None  # written by another version of IngestResult


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
