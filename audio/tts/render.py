"""Text → one WAV: each sentence spoken by the engine, joined with short pauses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydub import AudioSegment

from audio.errors import AudioRejected
from audio.tts.engine import TtsEngine, Voice
from audio.tts.text import split_sentences

PAUSE_MS = 350
MAX_TEXT_CHARS = 20_000


def render_speech(
    *,
    text: str,
    engine: TtsEngine,
    voice: Voice,
    work_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Speak `text` into work_dir/speech.wav. Pieces are short (sentences), so joining them
    in memory with pydub is cheap."""
    if len(text) > MAX_TEXT_CHARS:
        raise AudioRejected(
            f"the text is {len(text)} characters long; the limit is {MAX_TEXT_CHARS} "
            "(split it into several bulletins)"
        )
    pieces = split_sentences(text)
    if not pieces:
        raise AudioRejected("the text is empty: there is nothing to read")
    pause = AudioSegment.silent(duration=PAUSE_MS)
    speech = AudioSegment.empty()
    for index, piece in enumerate(pieces):
        part = work_dir / f"piece-{index:04d}.wav"
        engine.synthesize(text=piece, voice=voice, output=part)
        speech += AudioSegment.from_wav(part) + pause
        part.unlink()
        if progress is not None:
            progress(index + 1, len(pieces))
    output = work_dir / "speech.wav"
    speech.export(output, format="wav")
    return output
