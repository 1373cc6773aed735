"""Every real document of ../shared/cap_real through `POST /api/v1/alerts/cap`, as a feed
would send it: each is taken (an alert, or the record of a Cancel of what was never held
here), and what it became says how it was read.

On SQLite alone: the mapping's database work (geocodes, references) runs on PostgreSQL
in test_cap_import.py and test_cap_followups.py; here each document's text is read by TTS,
which costs seconds a document and is the same whatever the database. (The MP3 message's
recording and the size limit: test_cap_media.py and test_cap_stream.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.auth.models import Role
from tests.alerts.cap_documents import CAP_REAL, MEDIA_TYPE, give_real_codes, real_document
from tests.conftest import fresh_database
from tests.world import World

# name → (msg_type stored, state, language read, what else it shows)
EXPECTED: dict[str, tuple[str, str, str]] = {
    "oasis-a1-homeland-security": ("Alert", "issued", "en-US"),
    "oasis-a2-severe-thunderstorm": ("Alert", "issued", "en-US"),
    # An Update of a quake report never held here: a new alert, its reference kept.
    "oasis-a3-earthquake-update": ("Alert", "issued", "en-US"),
    "oasis-a4-amber-en-es": ("Alert", "issued", "en-US"),
    "ntwc-tsunami-cancellation-update": ("Alert", "issued", "en-US"),
    "ipaws-nv-cancel": ("Cancel", "recorded", "und"),
    "ipaws-md-local-emergency-polygon-jpeg": ("Alert", "issued", "en-US"),
    "eccc-special-weather-statement-update-en-fr": ("Alert", "issued", "en-CA"),
    "nsw-rfs-structure-fire": ("Alert", "issued", "en-AU"),
    "airnow-air-quality-alert": ("Alert", "issued", "en-US"),
    # No Vietnamese among its eight languages: the first block, German.
    "dwd-heavy-rain-update-8-languages": ("Alert", "issued", "de-DE"),
    # 459 kB with the sender's MP3 in <derefUri>: played instead of TTS.
    "ipaws-mi-civil-emergency-mp3": ("Alert", "issued", "en-US"),
}


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from fresh_database(request, "sqlite")


@pytest.fixture
def duty(world: World) -> World:
    give_real_codes(world)
    world.add_user("duty_p", area="P", roles={Role.operator: "P", Role.approver: "P"})
    return world


def test_the_collection_is_covered() -> None:
    names = {path.name.removesuffix(".adapted.xml") for path in CAP_REAL.glob("*.adapted.xml")}
    assert names == EXPECTED.keys()


def _post(client: TestClient, world: World, name: str) -> Any:
    return client.post(
        "/api/v1/alerts/cap",
        content=real_document(f"{name}.adapted.xml"),
        params={"issue_now": "true"},
        headers={"Content-Type": MEDIA_TYPE, **world.headers("duty_p")},
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_document_is_taken(client: TestClient, duty: World, name: str) -> None:
    answer = _post(client, duty, name)
    assert answer.status_code == 201, answer.text
    alert = answer.json()
    assert (alert["msg_type"], alert["state"], alert["language"]) == EXPECTED[name]
    assert alert["sender"] and alert["sender"] != "duty_p"  # the warning service's own
    if alert["msg_type"] == "Alert":
        assert alert["duration_s"] > 1  # its words read aloud, or the sender's recording
        assert len(alert["event"]) <= 200 and len(alert["headline"]) <= 300
