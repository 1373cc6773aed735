"""Ingest of real files in every format operators bring, through the real ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.errors import AudioRejected
from audio.ingest import IngestSettings, IngestStep, ingest_file
from tests.audio.sounds import (
    FORMATS,
    corrupted,
    duration,
    measure,
    silence,
    speech,
    tone,
    truncated,
)

SETTINGS = IngestSettings()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_becomes_normalised_opus(tmp_path: Path, fmt: str) -> None:
    source = tone(tmp_path / f"in.{fmt}", seconds=6, level_db=-30)
    work = tmp_path / "work"
    work.mkdir()
    result = ingest_file(source=source, work_dir=work, settings=SETTINGS)
    integrated, peak = measure(result.output)
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.5 + 0.3
    assert result.duration_s == pytest.approx(6.0, rel=0.02)
    assert duration(result.output) == pytest.approx(6.0, rel=0.02)
    assert result.before.integrated_lufs < -25
    assert result.after.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert result.output.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # WebM


def test_loud_speech_is_brought_down_and_limited(tmp_path: Path) -> None:
    source = speech(
        tmp_path / "s.wav",
        "Thông báo khẩn. Bão số ba đang tiến vào đất liền. "
        "Đề nghị bà con neo đậu tàu thuyền an toàn.",
    )
    result = ingest_file(source=source, work_dir=tmp_path, settings=SETTINGS)
    integrated, peak = measure(result.output)
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert peak <= -1.2


def test_leading_and_trailing_silence_is_trimmed(tmp_path: Path) -> None:
    source = tone(tmp_path / "pad.wav", seconds=4, lead_silence_s=3, tail_silence_s=2)
    trimmed = ingest_file(source=source, work_dir=tmp_path, settings=SETTINGS)
    assert trimmed.duration_s == pytest.approx(4.0, abs=0.3)
    kept_dir = tmp_path / "kept"
    kept_dir.mkdir()
    kept = ingest_file(
        source=source, work_dir=kept_dir, settings=IngestSettings(trim_silence=False)
    )
    assert kept.duration_s == pytest.approx(9.0, abs=0.1)


def test_same_audio_gives_the_same_bytes(tmp_path: Path) -> None:
    source = tone(tmp_path / "a.flac", seconds=3)
    first, second = tmp_path / "1", tmp_path / "2"
    first.mkdir()
    second.mkdir()
    a = ingest_file(source=source, work_dir=first, settings=SETTINGS)
    b = ingest_file(source=source, work_dir=second, settings=SETTINGS)
    assert a.sha256 == b.sha256


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (
            lambda p: (
                p.with_suffix(".txt").write_text("not audio at all") and p.with_suffix(".txt")
            ),
            "not an audio file",
        ),
        (lambda p: (p.write_bytes(b""), p)[1], "empty"),
        (lambda p: silence(p.with_suffix(".wav"), seconds=5), "silent"),
        (lambda p: truncated(p.with_suffix(".wav")), "cut short"),
        (lambda p: corrupted(p.with_suffix(".mp3")), "damaged"),
        (lambda p: tone(p.with_suffix(".mp3"), seconds=12), "limit"),
    ],
    ids=["not-audio", "empty", "silent", "truncated", "corrupt", "too-long"],
)
def test_bad_audio_is_refused_in_plain_words(tmp_path: Path, make, says: str) -> None:  # type: ignore[no-untyped-def]
    source = make(tmp_path / "bad.bin")
    settings = IngestSettings(max_duration_s=10)
    with pytest.raises(AudioRejected, match=says):
        ingest_file(source=source, work_dir=tmp_path, settings=settings)


def test_playlist_pointing_at_other_files_is_refused(tmp_path: Path) -> None:
    """An HLS or concat playlist would make ffmpeg read other files: never accepted."""
    secret = tone(tmp_path / "elsewhere.wav", seconds=3)
    playlists = {
        "hls": f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\n{secret}\n#EXT-X-ENDLIST\n",
        "concat": f"ffconcat version 1.0\nfile '{secret}'\n",
    }
    for name, body in playlists.items():
        upload = tmp_path / f"upload-{name}"
        upload.write_text(body)
        with pytest.raises(AudioRejected):
            ingest_file(source=upload, work_dir=tmp_path, settings=SETTINGS)


def test_ffmpeg_past_its_deadline_is_stopped(tmp_path: Path) -> None:
    from audio.ffmpeg import run_ffmpeg

    slow = ["-re", "-f", "lavfi", "-i", "sine=d=5", "-f", "null", "-"]
    with pytest.raises(AudioRejected, match="longer than 1 s"):
        run_ffmpeg(slow, work_dir=tmp_path, timeout_s=1)


def test_each_step_is_told_with_its_fraction(tmp_path: Path) -> None:
    source = tone(tmp_path / "long.mp3", seconds=40, level_db=-30)
    heard: list[tuple[IngestStep, float | None]] = []
    seconds: list[float] = []
    ingest_file(
        source=source,
        work_dir=tmp_path,
        settings=SETTINGS,
        progress=seconds.append,
        steps=lambda step, fraction: heard.append((step, fraction)),
    )
    started = [step for step, fraction in heard if fraction is None]
    assert started == [IngestStep.probe, IngestStep.loudness, IngestStep.encoding]
    for step in (IngestStep.loudness, IngestStep.encoding):
        fractions = [f for s, f in heard if s == step and f is not None]
        assert fractions and all(0.0 <= f <= 1.0 for f in fractions), (step, fractions)
        assert max(fractions) > 0.9, (step, fractions)
    assert seconds and max(seconds) == pytest.approx(40, abs=1.5)
