"""What a stored audio file is held in, told from its first bytes.

The cache keeps Opus in WebM. Files stored before that are Opus in Ogg and keep their names
(the suffix names the codec), so whoever serves or plays a file looks at its bytes.
"""

from __future__ import annotations

from pathlib import Path

CANONICAL_FORMAT = "webm"
CANONICAL_MIME = "audio/webm"
OGG_MIME = "audio/ogg"
_MIME_BY_MAGIC = {b"\x1a\x45\xdf\xa3": CANONICAL_MIME, b"OggS": OGG_MIME}


def audio_mime(path: Path) -> str:
    """The media type of a stored file: WebM, or Ogg for one stored before the cache moved
    to WebM (anything else is named as WebM: it is the cache's, or not audio at all)."""
    with path.open("rb") as handle:
        return _MIME_BY_MAGIC.get(handle.read(4), CANONICAL_MIME)
