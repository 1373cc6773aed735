"""The text-to-speech interface: an engine turns a piece of text into a WAV file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audio.errors import AudioRejected


@dataclass(frozen=True, kw_only=True)
class Voice:
    engine: str
    language: str  # BCP 47 tag as stations use it: vi, km, en, ...
    name: str  # the engine's voice id, e.g. "vi-vn-x-south"
    label: str


class UnsupportedLanguage(AudioRejected):
    """No installed engine speaks the language (or has the voice) asked for."""


class TtsEngine(Protocol):
    name: str

    def voices(self) -> list[Voice]:
        """Every voice this engine can speak with on this machine."""
        ...

    def synthesize(self, *, text: str, voice: Voice, output: Path) -> None:
        """Write `text` spoken by `voice` to `output` as a WAV file."""
        ...

    def fingerprint(self) -> str:
        """What besides the text and voice decides the sound: the engine's version (and
        its data's) and its parameters. Renderings are cached under it."""
        ...


def pick_voice(
    engines: list[TtsEngine], *, language: str, voice: str | None
) -> tuple[TtsEngine, Voice]:
    """The engine and voice for a language (the first voice of it unless one is named)."""
    wanted = language.lower()
    for engine in engines:
        for candidate in engine.voices():
            if candidate.language.lower() != wanted:
                continue
            if voice is None or candidate.name == voice:
                return engine, candidate
    spoken = sorted({v.language for e in engines for v in e.voices()})
    if voice is not None and any(wanted == s.lower() for s in spoken):
        raise UnsupportedLanguage(f"no voice {voice!r} for language {language!r}")
    raise UnsupportedLanguage(
        f"no installed text-to-speech engine speaks {language!r} "
        f"(available: {', '.join(spoken) or 'none'})"
    )
