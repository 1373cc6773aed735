"""A CAP alert's media, through the API: the sender's recording (embedded in <derefUri>, or
at a <uri> on an allowed host) plays instead of TTS, normalised as uploads are; images are
kept and served to whoever may read the alert; anything not what it claims to be is a 422
naming the element, with nothing stored. Real IPAWS documents: an MP3 and a JPEG."""

from __future__ import annotations

import base64
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from alerts.audio import alert_uses_file
from alerts.models import Alert
from audio.speech_cache import SpeechCache
from core.auth.models import Role
from core.config import Settings
from playlists.content import audio_service
from playlists.content.audio_service import NewFile, commit_with_files
from playlists.content.storage import ContentStorage
from tests.alerts.cap_documents import MEDIA_TYPE, cap_alert
from tests.alerts.cap_real_documents import (
    COMMUNE_CODE,
    JPEG_ALERT,
    MP3_ALERT,
    aim_at_commune,
    embedded_bytes,
    real_document,
)
from tests.audio.sounds import duration, tone
from tests.conftest import fresh_database, make_settings
from tests.world import World

# Their subject is the sender's media, not the reading: the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")

URL = "/api/v1/alerts/cap"
RESOURCE_LIMIT = 300_000


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # SQLite: media are files and ffmpeg, the same on either database; the alert rows they
    # add are written on PostgreSQL by the CAP route and follow-up tests.
    yield from fresh_database(request, getattr(request, "param", "sqlite"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The loopback server below is the one allowed host; a small limit and a short
    # deadline, so their refusals are quick to reach.
    return make_settings(
        database_url,
        tmp_path,
        cap_resource_hosts=("127.0.0.1",),
        cap_resource_max_bytes=RESOURCE_LIMIT,
        cap_resource_timeout_s=1.0,
    )


@pytest.fixture
def coded(world: World) -> World:
    aim_at_commune(world, "A")  # operator_a's commune has the real documents' code
    world.add_user("supervisor_b", area="B", roles={Role.supervisor: "B"})
    return world


@pytest.fixture
def no_tts(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**_: Any) -> Path:
        raise AssertionError("the text was read by TTS")

    monkeypatch.setattr(audio_service, "render_speech", refuse)
    # Nor taken from the speech cache, read before by another test.
    monkeypatch.setattr(SpeechCache, "get", lambda *_: refuse())


def post(client: TestClient, world: World, document: bytes, user: str = "operator_a") -> Any:
    headers = {"Content-Type": MEDIA_TYPE, **world.headers(user)}
    return client.post(URL, content=document, headers=headers)


def imported(client: TestClient, world: World, document: bytes, user: str = "operator_a") -> Any:
    answer = post(client, world, document, user)
    assert answer.status_code == 201, answer.text
    return answer.json()


def refused(client: TestClient, world: World, document: bytes, storage: ContentStorage) -> str:
    answer = post(client, world, document)
    assert answer.status_code == 422, answer.text
    with world.database.session() as session:
        assert session.exec(select(Alert.id)).first() is None
    assert storage.all() == set(), "a refused alert left a file in storage"
    return str(answer.json()["detail"])


def with_resource(*resources: str) -> bytes:
    """The test document (operator_a's commune) with these <resource> elements."""
    document = cap_alert(codes=(COMMUNE_CODE,)).decode()
    return document.replace("<area>", "".join(resources) + "<area>", 1).encode()


def resource(mime_type: str, *, data: bytes | None = None, **elements: str) -> str:
    parts = [f"<resourceDesc>Bản tin</resourceDesc><mimeType>{mime_type}</mimeType>"]
    parts += [f"<{name}>{value}</{name}>" for name, value in elements.items()]
    if data is not None:
        # Broken into lines, as MIME base64 is: the reader ignores the whitespace.
        text = base64.encodebytes(data).decode()
        parts.append(f"<derefUri>{text}</derefUri>")
    parts.sort(key=_cap_order)
    return f"<resource>{''.join(parts)}</resource>"


def _cap_order(part: str) -> int:
    order = ("resourceDesc", "mimeType", "size", "uri", "derefUri", "digest")
    return next(n for n, name in enumerate(order) if part.startswith(f"<{name}>"))


@pytest.fixture
def recording(tmp_path: Path) -> bytes:
    return tone(tmp_path / "recording.mp3", seconds=3.0, level_db=-24).read_bytes()


# The sender's recording


def test_the_mp3_in_a_real_ipaws_alert_is_played_instead_of_tts(
    client: TestClient, coded: World, storage: ContentStorage, tmp_path: Path, no_tts: None
) -> None:
    document = real_document(MP3_ALERT)
    assert len(document) > 450_000
    alert = imported(client, coded, document)
    mp3 = tmp_path / "sent.mp3"
    mp3.write_bytes(embedded_bytes(document))
    # Normalised (Opus, trimmed of silence at its ends) but the sender's words: as long.
    assert alert["duration_s"] == pytest.approx(duration(mp3), abs=1.0)
    assert storage.all() == {alert["sha256"]}
    stored = storage.path(alert["sha256"])
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == alert["sha256"]
    assert duration(stored) == pytest.approx(alert["duration_s"], abs=0.05)
    assert alert["images"] == [] and alert["target_area_ids"] == [coded.areas["A"]]


def test_an_embedded_recording_with_a_matching_digest_is_taken(
    client: TestClient, coded: World, recording: bytes, no_tts: None
) -> None:
    digest = hashlib.sha1(recording, usedforsecurity=False).hexdigest().upper()  # any case
    document = with_resource(
        resource("audio/mpeg", data=recording, size=str(len(recording)), digest=digest)
    )
    alert = imported(client, coded, document)
    assert alert["duration_s"] == pytest.approx(3.0, abs=0.3)


def test_a_digest_that_does_not_match_is_refused(
    client: TestClient, coded: World, storage: ContentStorage, recording: bytes
) -> None:
    document = with_resource(resource("audio/mpeg", data=recording, digest="0" * 40))
    detail = refused(client, coded, document, storage)
    assert "alert/info/resource/derefUri does not match alert/info/resource/digest" in detail


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("AAAA!!!!", "is not base64"),
        ("QUJD", None),  # fine alone: ...
        ("QQ==QUJD", "is not base64"),  # ... but nothing may follow padding
        ("QUJDRA", "is not base64: its length is not a multiple of four"),
        ("", "is empty"),
    ],
    ids=["outside-the-alphabet", "valid", "after-padding", "cut-short", "empty"],
)
def test_text_that_is_not_base64_is_refused_naming_the_element(
    client: TestClient, coded: World, storage: ContentStorage, text: str, said: str | None
) -> None:
    body = (
        f"<resourceDesc>x</resourceDesc><mimeType>text/plain</mimeType><derefUri>{text}</derefUri>"
    )
    document = with_resource(f"<resource>{body}</resource>")
    if said is None:  # not audio or an image: decoded, checked, read past
        assert imported(client, coded, document)["images"] == []
        return
    detail = refused(client, coded, document, storage)
    assert f"alert/info/resource/derefUri {said}" in detail, detail


def test_audio_that_does_not_decode_is_refused_naming_the_element(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    document = with_resource(resource("audio/mpeg", data=b"ID3" + bytes(range(256)) * 40))
    detail = refused(client, coded, document, storage)
    assert detail.startswith("alert/info/resource/derefUri: the audio cannot be broadcast")


def test_the_first_of_several_resources_that_is_audio_is_the_recording(
    client: TestClient, coded: World, recording: bytes, tmp_path: Path, no_tts: None
) -> None:
    other = tone(tmp_path / "other.mp3", seconds=6.0, level_db=-24).read_bytes()
    document = with_resource(
        resource("text/plain", data=b"notes"),
        resource("audio/mpeg", data=recording),
        resource("audio/mpeg", data=other),
    )
    assert imported(client, coded, document)["duration_s"] == pytest.approx(3.0, abs=0.3)


# Images


def test_the_jpeg_in_a_real_ipaws_alert_is_kept_and_served(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    document = real_document(JPEG_ALERT)
    jpeg = embedded_bytes(document)
    alert = imported(client, coded, document)
    sha256 = hashlib.sha256(jpeg).hexdigest()
    assert alert["images"] == [
        {
            "sha256": sha256,
            "mime_type": "image/jpeg",
            "size_bytes": len(jpeg),
            "description": "A broadcast resource",
        }
    ]
    assert storage.all() == {alert["sha256"], sha256}  # its headline by TTS, and the image
    url = f"/api/v1/alerts/{alert['id']}/images/{sha256}"
    served = client.get(url, headers=coded.headers("supervisor_a"))
    assert served.status_code == 200 and served.content == jpeg
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=coded.headers("supervisor_a"))
    assert shown.json()["images"] == alert["images"]
    # Not to a reader elsewhere, and only the alert's own images.
    assert client.get(url, headers=coded.headers("supervisor_b")).status_code == 403
    other = f"/api/v1/alerts/{alert['id']}/images/{'0' * 64}"
    assert client.get(other, headers=coded.headers("supervisor_a")).status_code == 404


def test_an_image_that_is_not_what_its_mime_type_says_is_refused(
    client: TestClient, coded: World, storage: ContentStorage, recording: bytes
) -> None:
    document = with_resource(resource("image/png", data=recording))
    detail = refused(client, coded, document, storage)
    assert detail.startswith("alert/info/resource/derefUri: not a PNG image"), detail


def test_an_image_of_another_format_is_read_past(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    alert = imported(client, coded, with_resource(resource("image/svg+xml", data=svg)))
    assert alert["images"] == [] and storage.all() == {alert["sha256"]}


def test_the_content_library_never_removes_an_alerts_image(
    client: TestClient, coded: World, storage: ContentStorage, tmp_path: Path
) -> None:
    document = real_document(JPEG_ALERT)
    alert = imported(client, coded, document)
    [image] = alert["images"]
    services = client.app.state.content  # type: ignore[attr-defined]
    with coded.database.session(write=True) as session:
        assert alert_uses_file(session, image["sha256"])
        assert not alert_uses_file(session, "0" * 64)
        # The same bytes stored again by a commit that fails: the alert's copy stays.
        again = tmp_path / "again.jpg"
        again.write_bytes(embedded_bytes(document))
        storage.delete(image["sha256"])
        session.add(Alert.model_validate({**_row(session, alert["id"]), "id": None}))
        with pytest.raises(IntegrityError):  # the same sender and identifier again
            commit_with_files(
                session=session, services=services, files=[NewFile(again, image["sha256"])]
            )
    assert storage.exists(image["sha256"])


def _row(session: Any, alert_id: int) -> dict[str, Any]:
    row = session.get(Alert, alert_id)
    assert row is not None
    return row.model_dump()


# A <uri>, fetched only from an allowed host


class _Served:
    """A loopback HTTP server handing out `body` (after `delay_s`), counting requests."""

    def __init__(self, body: bytes, *, delay_s: float = 0.0) -> None:
        self.body, self.delay_s, self.requests = body, delay_s, 0
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.requests += 1
                threading.Event().wait(served.delay_s)
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a slow answer is not waited for at the end
        self.port = self.server.server_address[1]

    def uri(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/bantin.mp3"


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[_Served] = []

    def start(body: bytes, **options: Any) -> _Served:
        served = _Served(body, **options)
        threading.Thread(target=served.server.serve_forever, daemon=True).start()
        servers.append(served)
        return served

    yield start
    for served in servers:
        served.server.shutdown()
        served.server.server_close()


def test_a_recording_on_an_allowed_host_is_fetched_and_played(
    client: TestClient, coded: World, recording: bytes, serve: Any, no_tts: None
) -> None:
    served = serve(recording)
    alert = imported(client, coded, with_resource(resource("audio/mpeg", uri=served.uri())))
    assert served.requests == 1 and alert["duration_s"] == pytest.approx(3.0, abs=0.3)


def test_nothing_is_fetched_for_an_alert_refused(
    client: TestClient, coded: World, recording: bytes, serve: Any
) -> None:
    """A feed sending its document twice: the second is a conflict, found before any fetch."""
    served = serve(recording)
    document = with_resource(resource("audio/mpeg", uri=served.uri()))
    imported(client, coded, document)
    assert post(client, coded, document).status_code == 409
    assert served.requests == 1


def test_a_uri_on_another_host_is_never_fetched(
    client: TestClient, coded: World, recording: bytes, serve: Any
) -> None:
    served = serve(recording)
    document = with_resource(resource("audio/mpeg", uri=served.uri("localhost")))
    alert = imported(client, coded, document)
    assert served.requests == 0 and alert["duration_s"] > 2  # its text read by TTS


def test_a_fetched_resource_over_the_limit_is_refused(
    client: TestClient, coded: World, storage: ContentStorage, serve: Any
) -> None:
    served = serve(b"\0" * (RESOURCE_LIMIT + 1))
    detail = refused(
        client, coded, with_resource(resource("audio/mpeg", uri=served.uri())), storage
    )
    assert (
        detail == f"alert/info/resource/uri: {served.uri()} is larger than {RESOURCE_LIMIT} bytes"
    )


def test_a_resource_too_slow_to_come_is_refused(
    client: TestClient, coded: World, storage: ContentStorage, recording: bytes, serve: Any
) -> None:
    served = serve(recording, delay_s=3.0)
    detail = refused(
        client, coded, with_resource(resource("audio/mpeg", uri=served.uri())), storage
    )
    assert detail.startswith(f"alert/info/resource/uri: {served.uri()} could not be fetched")
