"""The real CAP documents of /work/shared/cap_real (SOURCES.md there), moved to the test's
now and aimed at the test world: the adapted copies target commune code 99001."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from pathlib import Path

from core.areas.models import Area
from tests.world import World, now

CAP_REAL = Path(__file__).resolve().parents[3] / "shared" / "cap_real"
MP3_ALERT = "ipaws-mi-civil-emergency-mp3.adapted.xml"
JPEG_ALERT = "ipaws-md-local-emergency-polygon-jpeg.adapted.xml"
COMMUNE_CODE = "99001"  # the adapted documents' MA_XA geocode

_TIMES = re.compile(rb"<(sent|effective|onset|expires)>([^<]+)</\1>")
_DEREF = re.compile(rb"<derefUri>([^<]+)</derefUri>")


def real_document(name: str, *, at: datetime | None = None) -> bytes:
    """The adapted document, its <sent>, <effective>, <onset> and <expires> all moved by
    the one delta that makes <sent> now (or `at`), each in its author's UTC offset."""
    document = (CAP_REAL / name).read_bytes()
    sent = _TIMES.search(document)
    assert sent is not None and sent[1] == b"sent"
    delta = (at or now()).replace(microsecond=0) - datetime.fromisoformat(sent[2].decode())

    def moved(match: re.Match[bytes]) -> bytes:
        shifted = (datetime.fromisoformat(match[2].decode()) + delta).isoformat()
        return b"<%s>%s</%s>" % (match[1], shifted.encode(), match[1])

    return _TIMES.sub(moved, document)


def embedded_bytes(document: bytes) -> bytes:
    """What the document's first <derefUri> holds, decoded."""
    found = _DEREF.search(document)
    assert found is not None
    return base64.b64decode(found[1])


def aim_at_commune(world: World, area: str = "A") -> int:
    """The test world's commune given the adapted documents' code; its id."""
    with world.database.session(write=True) as session:
        commune = session.get(Area, world.areas[area])
        assert commune is not None and commune.id is not None
        commune.code = COMMUNE_CODE
        session.add(commune)
        session.commit()
        return commune.id
