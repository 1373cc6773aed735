"""The real CAP documents of /work/shared/cap_real (SOURCES.md there), moved to the test's
now and aimed at the test world: the adapted copies target commune code 99001."""

from __future__ import annotations

import base64
import re

from core.areas.models import Area
from tests.alerts.cap_documents import CAP_REAL, real_document
from tests.world import World

__all__ = ["CAP_REAL", "real_document"]  # the one way to read a real document, with these

MP3_ALERT = "ipaws-mi-civil-emergency-mp3.adapted.xml"
JPEG_ALERT = "ipaws-md-local-emergency-polygon-jpeg.adapted.xml"
COMMUNE_CODE = "99001"  # the adapted documents' MA_XA geocode

_DEREF = re.compile(rb"<derefUri>([^<]+)</derefUri>")


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
