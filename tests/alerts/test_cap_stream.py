"""CAP documents read as they arrive: refused (413) the moment they pass cap_max_bytes,
declared length or not, and taken up to it; chunks split anywhere (inside a character,
inside base64) read as the whole document would be; embedded media decoded to a file and
never kept in the tree; the import callable with any iterable of chunks (a feed poller)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from alerts.cap import MAX_BYTES, CapError, CapReader, CapTooLarge, parse_cap, read_cap
from alerts.cap_intake import CapContext, import_cap
from alerts.cap_xml import DEREF_URI, CapXmlReader
from alerts.models import Alert
from core.auth.deps import access_for, load_grants
from core.auth.permissions import Action, Principal
from playlists.content.storage import ContentStorage
from tests.alerts.cap_documents import CAP_NAMESPACE, MEDIA_TYPE
from tests.alerts.cap_real_documents import (
    JPEG_ALERT,
    MP3_ALERT,
    aim_at_commune,
    embedded_bytes,
    real_document,
)
from tests.conftest import fresh_database
from tests.world import World

# Their subject is the streamed document's size, not the reading: the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")

URL = "/api/v1/alerts/cap"


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # SQLite: reading a document as it streams asks nothing of the database.
    yield from fresh_database(request, getattr(request, "param", "sqlite"))


@pytest.fixture
def coded(world: World) -> World:
    aim_at_commune(world, "A")
    return world


def padded(document: bytes, size: int) -> bytes:
    """The document grown to exactly `size` bytes by whitespace before its end."""
    end = document.rindex(b"</alert>")
    return document[:end] + b" " * (size - len(document)) + document[end:]


def pieces(document: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(document), size):
        yield document[start : start + size]


def stored_alerts(world: World) -> int:
    with world.database.session() as session:
        return session.exec(select(func.count()).select_from(Alert)).one()


# Through the route, at the limit (2 MiB by default)


def test_a_document_just_over_the_limit_is_refused_as_it_streams(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    document = padded(real_document(MP3_ALERT), MAX_BYTES + 1)
    headers = {"Content-Type": MEDIA_TYPE, **coded.headers("operator_a")}
    streamed = client.post(URL, content=pieces(document), headers=headers)  # chunked
    assert streamed.status_code == 413, streamed.text
    assert str(MAX_BYTES) in streamed.json()["detail"]
    declared = client.post(URL, content=document, headers=headers)
    assert declared.status_code == 413 and str(MAX_BYTES) in declared.text, declared.text
    assert stored_alerts(coded) == 0 and storage.all() == set()


def test_a_document_of_exactly_the_limit_is_taken(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    document = padded(real_document(MP3_ALERT), MAX_BYTES)
    headers = {"Content-Type": MEDIA_TYPE, **coded.headers("operator_a")}
    answer = client.post(URL, content=pieces(document), headers=headers)
    assert answer.status_code == 201, answer.text
    assert storage.all() == {answer.json()["sha256"]}


def test_the_limit_is_a_setting(tmp_path: Path, database_url: str, world: World) -> None:
    from fastapi.testclient import TestClient as Client

    from api import create_app
    from tests.conftest import make_settings

    aim_at_commune(world, "A")
    small = create_app(make_settings(database_url, tmp_path, cap_max_bytes=100_000))
    document = real_document(JPEG_ALERT)  # 26 KB: under the small limit
    headers = {"Content-Type": MEDIA_TYPE, **world.headers("operator_a")}
    with Client(small) as client:
        assert client.post(URL, content=document, headers=headers).status_code == 201
        big = real_document(MP3_ALERT)  # 459 KB
        answer = client.post(URL, content=pieces(big), headers=headers)
        assert answer.status_code == 413 and "100000" in answer.text
    small.state.database.dispose()


# The reader, chunk by chunk


def test_the_reader_stops_at_the_chunk_that_passes_the_limit() -> None:
    document = real_document(MP3_ALERT)
    pulled = []

    def chunks() -> Iterator[bytes]:
        for chunk in pieces(document, 10_000):
            pulled.append(chunk)
            yield chunk

    with pytest.raises(CapTooLarge) as refused:
        read_cap(chunks(), max_bytes=100_000, folder=None)
    assert len(pulled) == 11 and refused.value.max_bytes == 100_000
    assert refused.value.message == "too large: more than 100000 bytes, at most 100000"


@pytest.mark.parametrize("size", [1, 3, 7, 4096])
def test_chunks_split_anywhere_read_as_the_whole_document(size: int, tmp_path: Path) -> None:
    document = real_document(JPEG_ALERT)
    whole = parse_cap(document)
    read = read_cap(pieces(document, size), max_bytes=MAX_BYTES, folder=tmp_path)
    [resource] = read.infos[0].resources
    assert resource.embedded is not None and resource.embedded.path is not None
    jpeg = embedded_bytes(document)
    assert resource.embedded.path.read_bytes() == jpeg
    assert resource.embedded.sha256 == hashlib.sha256(jpeg).hexdigest()
    # The same alert, but for where the embedded bytes went (parse_cap keeps none).
    assert whole.infos[0].resources[0].embedded is not None
    assert whole.infos[0].resources[0].embedded.path is None
    assert read.model_dump(exclude={"infos"}) == whole.model_dump(exclude={"infos"})
    assert read.infos[0].headline == whole.infos[0].headline


def test_the_tree_never_holds_the_embedded_text(tmp_path: Path) -> None:
    reader = CapXmlReader(max_bytes=MAX_BYTES, folder=tmp_path)
    for chunk in pieces(real_document(MP3_ALERT)):
        reader.feed(chunk)
    read = reader.close()
    [deref] = list(read.root.iter(DEREF_URI))
    assert deref.text is None and read.attached[deref].size_bytes == 335_735


def test_a_character_split_across_chunks_is_fine_and_a_bad_byte_named_where_it_is() -> None:
    document = (f'<alert xmlns="{CAP_NAMESPACE}"><identifier>Bão</identifier></alert>').encode()
    split = document.index("ã".encode()) + 1  # between the two bytes of "ã"
    reader = CapReader(max_bytes=MAX_BYTES)
    reader.feed(document[:split])
    with pytest.raises(CapError, match="is required"):  # read whole: only CAP is missing
        reader.feed(document[split:])
        reader.close()
    broken = document.replace("ã".encode(), b"\xe3")  # cp1258's "ã"
    offset = broken.index(b"\xe3")
    reader = CapReader(max_bytes=MAX_BYTES)
    reader.feed(broken[: offset - 2])
    with pytest.raises(CapError) as refused:
        reader.feed(broken[offset - 2 :])
        reader.close()
    assert refused.value.message == f"not UTF-8: byte 0xe3 at offset {offset}"


def test_a_doctype_is_refused_however_the_document_is_cut() -> None:
    document = (
        '<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY x "y">]>'
        f'<alert xmlns="{CAP_NAMESPACE}"><identifier>&x;</identifier></alert>'
    ).encode()
    with pytest.raises(CapError) as refused:
        read_cap(pieces(document, 5), max_bytes=MAX_BYTES, folder=None)
    assert refused.value.message == "unsafe XML: a DOCTYPE is not allowed"


def test_elements_inside_embedded_content_are_refused() -> None:
    document = (
        f'<alert xmlns="{CAP_NAMESPACE}"><derefUri>QUJD<x/>QUJD</derefUri></alert>'
    ).encode()
    with pytest.raises(CapError, match="holds base64 text only"):
        parse_cap(document)


# The import as a function, for a caller with no request (a feed poller)


def test_the_import_takes_any_iterable_of_chunks(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    state: Any = client.app.state  # type: ignore[attr-defined]
    user_id = coded.users["operator_a"]
    with coded.database.session(write=True) as session:
        principal = Principal(
            user_id=user_id, username="operator_a", grants=load_grants(session, user_id)
        )
        context = CapContext(
            session=session,
            access=access_for(principal=principal, action=Action.alert_write, session=session),
            clock=state.clock,
            settings=state.settings,
            services=state.content,
            board=state.alerts,
        )
        alert = import_cap(pieces(real_document(MP3_ALERT), 8192), context)
    assert alert.identifier == "482277582702553" and storage.all() == {alert.sha256}
    assert stored_alerts(coded) == 1
