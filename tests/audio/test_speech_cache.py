"""The speech cache on its own: entries by key, damaged ones missed, the least recently
used evicted, and a key for every thing that decides the bytes. Real renderings through
the cache against fresh ones: tests/playlists/content/test_audio_service.py."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from audio import speech_cache
from audio.ingest import IngestResult, IngestSettings
from audio.loudness import Loudness, LoudnessTarget, SpeechSpan
from audio.probe import ProbeResult
from audio.speech_cache import SpeechCache, speech_key
from audio.tts.engine import pick_voice
from audio.tts.espeak import EspeakEngine


def _result(path: Path, body: bytes) -> IngestResult:
    path.write_bytes(body)
    return IngestResult(
        output=path,
        sha256=hashlib.sha256(body).hexdigest(),
        size_bytes=len(body),
        duration_s=2.5,
        source=ProbeResult(
            format_name="wav", codec="pcm_s16le", channels=1, sample_rate=22050, duration_s=2.6
        ),
        before=Loudness(integrated_lufs=-23.1, loudness_range_lu=3.2, peak_dbfs=-float("inf")),
        after=Loudness(integrated_lufs=-16.0, loudness_range_lu=None, peak_dbfs=-1.6),
        gain_db=7.1,
        span=SpeechSpan(start_s=0.1, end_s=None),
    )


def _key(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def test_an_entry_comes_back_whole_as_a_file_of_the_callers(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "cache")
    made = _result(tmp_path / "made.opus", b"opus bytes")
    assert cache.get(_key(1), tmp_path) is None
    cache.put(_key(1), made)
    work = tmp_path / "work"
    work.mkdir()
    hit = cache.get(_key(1), work)
    assert hit is not None
    assert hit.output.parent == work and hit.output.read_bytes() == b"opus bytes"
    assert {**vars(hit), "output": None} == {**vars(made), "output": None}
    assert made.output.exists()  # put copies: the caller still stores its own file
    hit.output.unlink()  # moved into storage, say: the entry stays
    assert cache.get(_key(1), work) is not None
    assert cache.get(_key(2), work) is None


def test_a_damaged_or_half_written_entry_is_a_miss(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "cache")
    for n in (1, 2, 3):
        cache.put(_key(n), _result(tmp_path / "made.opus", b"opus bytes"))
    (tmp_path / "cache" / f"{_key(1)}.opus").write_bytes(b"opus bytez")
    (tmp_path / "cache" / f"{_key(2)}.opus").unlink()
    (tmp_path / "cache" / f"{_key(3)}.json").write_text('{"sha256": "')
    for n in (1, 2, 3):
        assert cache.get(_key(n), tmp_path) is None
    assert not (tmp_path / "canonical.opus").exists()  # the damaged copy is not left behind
    assert list((tmp_path / "cache").glob(".part-*")) == []


def test_the_least_recently_used_go_past_the_size_bound(tmp_path: Path) -> None:
    cache = SpeechCache(tmp_path / "cache", max_bytes=250)
    for n in (1, 2):
        cache.put(_key(n), _result(tmp_path / "made.opus", bytes([n]) * 100))
        # mtimes a second apart: the order does not rest on the clock's resolution
        os.utime(tmp_path / "cache" / f"{_key(n)}.opus", (1000 + n, 1000 + n))
    assert cache.get(_key(1), tmp_path) is not None  # used: now the most recent
    cache.put(_key(3), _result(tmp_path / "made.opus", bytes([3]) * 100))
    assert cache.get(_key(2), tmp_path) is None
    assert cache.get(_key(1), tmp_path) is not None
    assert cache.get(_key(3), tmp_path) is not None
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(
        f"{_key(n)}{suffix}" for n in (1, 3) for suffix in (".opus", ".json")
    )


def test_a_key_is_refused_unless_a_digest(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a cache key"):
        SpeechCache(tmp_path).get("../../etc/passwd", tmp_path)


def test_everything_that_decides_the_bytes_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    engine, voice = pick_voice([EspeakEngine()], language="vi", voice=None)
    _, south = pick_voice([EspeakEngine()], language="vi", voice="vi-vn-x-south")
    settings = IngestSettings()

    def key() -> str:
        return speech_key(text="Xin chào.", engine=engine, voice=voice, settings=settings)

    keys = {key()}
    assert key() in keys  # the same inputs: the same key
    keys.add(speech_key(text="Xin chào!", engine=engine, voice=voice, settings=settings))
    keys.add(speech_key(text="Xin chào.", engine=engine, voice=south, settings=settings))
    slower = EspeakEngine(words_per_minute=120)
    keys.add(speech_key(text="Xin chào.", engine=slower, voice=voice, settings=settings))
    for changed in (
        IngestSettings(bitrate_kbps=48),
        IngestSettings(trim_silence=False),
        IngestSettings(target=LoudnessTarget(integrated_lufs=-18)),
    ):
        keys.add(speech_key(text="Xin chào.", engine=engine, voice=voice, settings=changed))
    monkeypatch.setattr(speech_cache, "_ffmpeg_version", lambda: "ffmpeg version 7.1")
    keys.add(key())
    monkeypatch.setattr(speech_cache, "_code_digest", lambda names: "edited " + " ".join(names))
    keys.add(key())
    assert len(keys) == 9


def test_espeaks_fingerprint_follows_its_data_files(tmp_path: Path) -> None:
    """A Debian update keeps the version espeak-ng prints but changes its files."""
    data = tmp_path / "espeak-ng-data"
    (data / "voices").mkdir(parents=True)
    (data / "vi_dict").write_bytes(b"dictionary")
    binary = tmp_path / "espeak-ng"
    binary.write_text(f'#!/bin/sh\necho "eSpeak NG text-to-speech: 1.51  Data at: {data}"\n')
    binary.chmod(0o755)
    engine = EspeakEngine(binary=str(binary))
    before = engine.fingerprint()
    assert engine.fingerprint() == before
    os.utime(data / "vi_dict", (2000, 2000))
    touched = engine.fingerprint()
    (data / "voices" / "vi").write_bytes(b"voice")
    added = engine.fingerprint()
    assert len({before, touched, added}) == 3
    assert EspeakEngine(binary=str(binary), words_per_minute=120).fingerprint() != added
