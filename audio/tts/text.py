"""Split bulletin text into pieces a TTS engine reads well: sentences, then clauses."""

from __future__ import annotations

import re

MAX_PIECE_CHARS = 400
_SENTENCE_END = re.compile(r"(?<=[.!?…;。])\s+|\n\s*\n|\n(?=\s*[-•*])")
_CLAUSE_END = re.compile(r"(?<=[,:])\s+")


def split_sentences(text: str, max_chars: int = MAX_PIECE_CHARS) -> list[str]:
    """Sentences in order, none longer than max_chars (long ones split at commas, then
    at spaces); blank pieces dropped. Joining the pieces with spaces keeps every word."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = " ".join(sentence.split())
        if sentence:
            pieces.extend(_fit(sentence, max_chars))
    return pieces


def _fit(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        out.extend(_wrap(clause, max_chars) if len(clause) > max_chars else [clause])
    return _merge(out, max_chars)


def _wrap(clause: str, max_chars: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in clause.split(" "):
        while len(word) > max_chars:  # a "word" longer than a piece: cut it
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:max_chars])
            word = word[max_chars:]
        candidate = f"{current} {word}".strip()
        if len(candidate) > max_chars:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _merge(parts: list[str], max_chars: int) -> list[str]:
    merged: list[str] = []
    for part in parts:
        if merged and len(merged[-1]) + 1 + len(part) <= max_chars:
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged
