from __future__ import annotations

from pathlib import Path

import pytest

from audio.errors import AudioRejected
from audio.tts.engine import UnsupportedLanguage, pick_voice
from audio.tts.espeak import EspeakEngine, parse_voices
from audio.tts.render import render_speech
from audio.tts.text import split_sentences
from tests.audio.sounds import duration

LISTING = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  vi              --/M      Vietnamese_(Northern) aav/vi
 5  vi-vn-x-south   --/M      Vietnamese_(Southern) aav/vi-VN-x-south
 5  en-gb           --/M      English_(Great_Britain) gmw/en
"""


def test_voices_are_tagged_by_language() -> None:
    voices = parse_voices(LISTING)
    assert [(v.language, v.name, v.label) for v in voices] == [
        ("vi", "vi", "Vietnamese (Northern)"),
        ("vi", "vi-vn-x-south", "Vietnamese (Southern)"),
        ("en", "en-gb", "English (Great Britain)"),
    ]


def test_split_keeps_every_word_and_bounds_pieces() -> None:
    text = (
        "Thông báo khẩn! Bão số 3 đang đến.\n\nĐề nghị bà con, "
        + "rất " * 200
        + "chú ý. "
        + "x" * 900
    )
    pieces = split_sentences(text, max_chars=100)
    assert all(0 < len(p) <= 100 for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())
    assert pieces[0] == "Thông báo khẩn!"


def test_real_espeak_speaks_vietnamese(tmp_path: Path) -> None:
    engine, voice = pick_voice([EspeakEngine()], language="vi", voice=None)
    assert voice.name == "vi"
    wav = render_speech(
        text="Xin chào bà con. Hôm nay trời nắng.", engine=engine, voice=voice, work_dir=tmp_path
    )
    assert duration(wav) > 1.5


def test_unknown_language_and_voice_are_named() -> None:
    engines = [EspeakEngine()]
    with pytest.raises(UnsupportedLanguage, match="'km'"):
        pick_voice(engines, language="km", voice=None)
    with pytest.raises(UnsupportedLanguage, match="no voice 'vi-hue'"):
        pick_voice(engines, language="vi", voice="vi-hue")


def test_empty_and_oversized_text_is_refused(tmp_path: Path) -> None:
    engine, voice = pick_voice([EspeakEngine()], language="vi", voice=None)
    with pytest.raises(AudioRejected, match="empty"):
        render_speech(text=" \n ", engine=engine, voice=voice, work_dir=tmp_path)
    with pytest.raises(AudioRejected, match="limit is 20000"):
        render_speech(text="a" * 20_001, engine=engine, voice=voice, work_dir=tmp_path)
