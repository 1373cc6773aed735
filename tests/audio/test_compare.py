"""The comparison the end-to-end playout tests rely on can tell audio apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audio.compare import correlation, decode, seconds
from tests.audio.sounds import FORMATS, ffmpeg, noise


def test_a_file_matches_its_own_transcode_and_not_another_sound(tmp_path: Path) -> None:
    original = noise(tmp_path / "a.wav", seconds=2.0, seed=1)
    other = noise(tmp_path / "b.wav", seconds=2.0, seed=2)
    same = tmp_path / "same.opus"
    ffmpeg("-i", str(original), *FORMATS["opus"], str(same))
    assert correlation(decode(original), decode(same)) > 0.9
    assert correlation(decode(original), decode(other)) < 0.3
    assert seconds(same) == pytest.approx(2.0, rel=0.02)


def test_a_later_part_matches_from_its_offset(tmp_path: Path) -> None:
    source = noise(tmp_path / "a.wav", seconds=3.0, seed=3)
    tail = decode(source, offset_s=1.0)
    assert correlation(tail, decode(source, offset_s=1.0)) > 0.99
    assert correlation(tail, decode(source, offset_s=1.5)) < 0.3
