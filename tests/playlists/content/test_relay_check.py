"""The one-off relay URL check, against a real HTTP server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from playlists.content.models import RelayCheck
from playlists.content.relay_check import check_stream, parse_playlist
from tests.playlists.content.streams import stream_server


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with stream_server() as url:
        yield url


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/live.mp3", RelayCheck.ok, "audio/mpeg"),
        ("/radio.ogg", RelayCheck.ok, "application/ogg"),
        ("/vov.m3u", RelayCheck.ok, "playlist → /live.mp3"),
        ("/vov.pls", RelayCheck.ok, "playlist → /radio.ogg"),
        ("/missing", RelayCheck.warning, "HTTP 404"),
        ("/page", RelayCheck.warning, "text/html, not audio"),
        ("/empty.m3u", RelayCheck.warning, "lists no stream"),
    ],
)
def test_check_stream(base: str, path: str, status: RelayCheck, says: str) -> None:
    result = check_stream(base + path, timeout_s=2)
    assert result.status == status
    assert says in result.message


def test_unreachable_stream_is_a_warning() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check_stream(f"http://127.0.0.1:{port}/live", timeout_s=1)
    assert result.status == RelayCheck.warning
    assert "could not reach" in result.message


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts, never answers
        port = listener.getsockname()[1]
        result = check_stream(f"http://127.0.0.1:{port}/live", timeout_s=0.5)
    assert result.status == RelayCheck.warning
    assert "no answer within 0.5 s" in result.message


def test_parse_playlists() -> None:
    assert parse_playlist("#EXTM3U\n#EXTINF:-1,A\nhttp://a/1\n\nhttp://a/2\n") == [
        "http://a/1",
        "http://a/2",
    ]
    pls = "[playlist]\nFile2=http://b/2\nFile1=http://b/1\nNumberOfEntries=2\n"
    assert parse_playlist(pls) == ["http://b/1", "http://b/2"]
    assert parse_playlist("[playlist]\nbroken") == []


def test_trickling_stream_is_cut_at_the_deadline(base: str) -> None:
    import time

    started = time.monotonic()
    result = check_stream(base + "/trickle", timeout_s=1)
    assert time.monotonic() - started < 5
    assert result.status == RelayCheck.ok
