from __future__ import annotations

from pathlib import Path

import pytest

from audio.container import CANONICAL_MIME, OGG_MIME, audio_mime
from audio.ingest import IngestSettings, ingest_file
from tests.audio.sounds import tone


def test_what_ingest_makes_is_webm(tmp_path: Path) -> None:
    source = tone(tmp_path / "a.wav", seconds=1.0)
    work = tmp_path / "work"
    work.mkdir()
    result = ingest_file(source=source, work_dir=work, settings=IngestSettings())
    assert audio_mime(result.output) == CANONICAL_MIME == "audio/webm"


@pytest.mark.parametrize(("name", "expected"), [("old.opus", OGG_MIME), ("new.webm", "audio/webm")])
def test_a_file_stored_in_ogg_before_is_still_named_ogg(
    tmp_path: Path, name: str, expected: str
) -> None:
    assert audio_mime(tone(tmp_path / name, seconds=0.5)) == expected


def test_bytes_that_are_neither_are_named_as_the_cache_s(tmp_path: Path) -> None:
    odd = tmp_path / "odd.opus"
    odd.write_bytes(b"ID3\x04")
    assert audio_mime(odd) == CANONICAL_MIME
