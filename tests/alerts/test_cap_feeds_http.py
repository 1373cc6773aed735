"""The feed fetcher against a real HTTP server on loopback: a conditional GET answered 304
costs no body, the size limit cuts a large body off, a slow server times out, and an error
status says which."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from alerts.feeds.fetch import Fetcher, FetchError
from tests.alerts.cap_documents import cap_alert
from tests.alerts.feed_site import ATOM_PATH, FeedSite, LoopbackServer


@pytest.fixture
def site() -> Iterator[FeedSite]:
    served = FeedSite()
    with LoopbackServer(served):
        yield served


def _fetcher(max_bytes: int = 1_000_000, timeout_s: float = 5.0) -> Fetcher:
    return Fetcher(client=httpx.Client(), max_bytes=max_bytes, timeout_s=timeout_s)


def test_a_conditional_get_is_answered_304_once_the_feed_is_known(site: FeedSite) -> None:
    site.publish("/a.xml", cap_alert("VN-HTTP-1"))
    fetcher = _fetcher()
    first = fetcher.fetch(site.feed_url)
    assert b"/a.xml" in first.body and first.etag
    again = fetcher.fetch(site.feed_url, etag=first.etag)
    assert again.not_modified and again.body == b"" and again.etag == first.etag
    site.publish("/b.xml", cap_alert("VN-HTTP-2"))
    changed = fetcher.fetch(site.feed_url, etag=first.etag)
    assert not changed.not_modified and b"/b.xml" in changed.body
    assert site.requests[ATOM_PATH] == 3


def test_a_body_over_the_limit_is_cut_off(site: FeedSite) -> None:
    site.documents["/big.xml"] = b"<x>" + b"a" * 100_000 + b"</x>"
    with pytest.raises(FetchError, match="too large"):
        _fetcher(max_bytes=10_000).fetch(site.base + "/big.xml")


def test_an_error_status_is_named(site: FeedSite) -> None:
    site.failing.add("/down.xml")
    with pytest.raises(FetchError, match="HTTP 500"):
        _fetcher().fetch(site.base + "/down.xml")
    with pytest.raises(FetchError, match="HTTP 404"):
        _fetcher().fetch(site.base + "/missing.xml")


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: list[socket.socket] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
        thread.start()
        port = listener.getsockname()[1]
        with pytest.raises(FetchError, match="Timeout"):
            _fetcher(timeout_s=0.3).fetch(f"http://127.0.0.1:{port}/cap.atom")
        thread.join(5)
        for connection in accepted:
            connection.close()
