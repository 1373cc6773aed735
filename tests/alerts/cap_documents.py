"""CAP 1.2 documents for the import tests, and official codes for the test world's areas
(built without any)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from alerts.cap import CAP_NAMESPACE
from core.areas.models import Area
from tests.world import World, now

# Made-up codes in the shape of Vietnam's administrative unit codes.
CODES = {"P": "91", "A": "91001", "B": "91004", "A1": "91001-01"}
UNKNOWN_CODE = "99999"
MEDIA_TYPE = "application/cap+xml"

HEADLINE = "Bão số 3 đổ bộ vào Quảng Ninh"
DESCRIPTION = "Gió mạnh cấp 12, giật cấp 15"
INSTRUCTION = "Người dân ở trong nhà, tránh xa bờ biển!"


def give_code(world: World, area: str) -> str:
    """The area's official code, set on first use."""
    with world.database.session(write=True) as session:
        row = session.get(Area, world.areas[area])
        assert row is not None
        if row.code != CODES[area]:
            row.code = CODES[area]
            session.add(row)
            session.commit()
    return CODES[area]


def cap_alert(
    identifier: str = "VN-TEST-001",
    *,
    codes: tuple[str, ...] = (CODES["A"],),
    status: str = "Actual",
    msg_type: str = "Alert",
    references: tuple[str, ...] = (),
    expires: datetime | None = None,
    effective: datetime | None = None,
    headline: str = HEADLINE,
    info: bool = True,
    note: str | None = None,
    no_expires: bool = False,
    sender: str = "canhbao@nchmf.gov.vn",
) -> bytes:
    """A CAP 1.2 alert in Vietnamese for the areas with `codes` (expiring in six hours)."""
    sent = now().replace(microsecond=0)
    refs = " ".join(f"{sender},{r},{sent.isoformat()}" for r in references)
    header = (
        f"<identifier>{identifier}</identifier><sender>{sender}</sender>"
        f"<sent>{sent.isoformat()}</sent><status>{status}</status>"
        f"<msgType>{msg_type}</msgType><scope>Public</scope>"
        + (f"<note>{escape(note)}</note>" if note else "")
        + (f"<references>{refs}</references>" if refs else "")
    )
    body = header + (_info(codes, expires, effective, headline, no_expires) if info else "")
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f'{declaration}<alert xmlns="{CAP_NAMESPACE}">{body}</alert>'.encode()


def _info(
    codes: tuple[str, ...],
    expires: datetime | None,
    effective: datetime | None,
    headline: str,
    no_expires: bool,
) -> str:
    until = expires or now().replace(microsecond=0) + timedelta(hours=6)
    geocodes = "".join(
        f"<geocode><valueName>MA_XA</valueName><value>{code}</value></geocode>" for code in codes
    )
    return (
        "<info><language>vi-VN</language><category>Met</category><event>Bão</event>"
        "<urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>"
        f"<headline>{escape(headline)}</headline><description>{DESCRIPTION}</description>"
        f"<instruction>{INSTRUCTION}</instruction>"
        + (f"<effective>{effective.isoformat()}</effective>" if effective else "")
        + ("" if no_expires else f"<expires>{until.isoformat()}</expires>")
        + f"<area><areaDesc>Xã thử</areaDesc>{geocodes}</area></info>"
    )


CAP_REAL = Path(__file__).resolve().parents[3] / "shared" / "cap_real"
# The adapted real documents target this province and commune (cap_real/SOURCES.md).
REAL_CODES = {"P": "99", "A": "99001"}
# CAP's dateTime elements, with or without a namespace prefix (NSW RFS writes "cap:").
_TIMES = re.compile(r"<((?:\w+:)?(?:sent|effective|onset|expires))>([^<]+)</")


def real_document(name: str, *, at: datetime | None = None, expires_at_sent: bool = False) -> bytes:
    """A document of ../shared/cap_real, its times moved as `moved_times` moves them."""
    document = (CAP_REAL / name).read_bytes()
    return moved_times(document, at=at, expires_at_sent=expires_at_sent)


def moved_times(
    document: bytes, *, at: datetime | None = None, expires_at_sent: bool = False
) -> bytes:
    """The document, its <sent>, <effective>, <onset> and <expires> all moved by one delta so
    that it was sent at `at` (default: now), each in its author's offset; `expires_at_sent`:
    its <expires> equal to <sent> again, as the original of a cancelling Update has it."""
    text = document.decode("utf-8")
    found = [
        (m.group(1), datetime.fromisoformat(m.group(2).strip())) for m in _TIMES.finditer(text)
    ]
    sent = next(time for tag, time in found if tag.endswith("sent"))
    delta = (at or now()).replace(microsecond=0) - sent

    def moved(match: re.Match[str]) -> str:
        tag, time = match.group(1), datetime.fromisoformat(match.group(2).strip()) + delta
        if expires_at_sent and tag.endswith("expires"):
            time = sent + delta
        return f"<{tag}>{time.isoformat()}</"

    return _TIMES.sub(moved, text).encode()


def give_real_codes(world: World) -> None:
    """Areas P and A take the codes the adapted real documents target."""
    with world.database.session(write=True) as session:
        for area, code in REAL_CODES.items():
            row = session.get(Area, world.areas[area])
            assert row is not None
            row.code = code
            session.add(row)
        session.commit()
