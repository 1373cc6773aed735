"""A warning service's feed for the poller's tests: an Atom feed of CAP documents, served by
an httpx mock transport (unit tests) or a real HTTP server on loopback (contract and
end-to-end tests), each answering If-None-Match with 304 and counting what was asked."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import httpx

ATOM_PATH = "/cap.atom"


@dataclass
class FeedSite:
    """Documents by path; the Atom feed at ATOM_PATH lists `entries` (paths), newest first."""

    base: str = "http://warnings.invalid"
    documents: dict[str, bytes] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    failing: set[str] = field(default_factory=set)  # paths answering 500
    validators: bool = True  # False: no ETag, so every GET is answered in full

    @property
    def feed_url(self) -> str:
        return self.base + ATOM_PATH

    def publish(self, path: str, document: bytes) -> str:
        self.documents[path] = document
        self.entries.insert(0, path)
        return self.base + path

    def atom(self) -> bytes:
        # An entry is a path on this site, or a whole URL (a link to another host).
        urls = [p if p.startswith("http") else self.base + p for p in self.entries]
        entries = "".join(
            f"<entry><id>{escape(url)}</id><title>Cảnh báo</title>"
            f"<updated>2026-12-01T00:00:00Z</updated>"
            f'<link rel="alternate" type="application/cap+xml" href="{escape(url)}"/>'
            "</entry>"
            for url in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:test</id><title>KTTV</title>'
            f"<updated>2026-12-01T00:00:00Z</updated>{entries}</feed>"
        ).encode()

    def answer(self, path: str, if_none_match: str | None) -> tuple[int, bytes, dict[str, str]]:
        self.requests[path] += 1
        if path in self.failing:
            return 500, b"broken", {}
        body = self.atom() if path == ATOM_PATH else self.documents.get(path)
        if body is None:
            return 404, b"no such document", {}
        if not self.validators:
            return 200, body, {"Content-Type": "application/xml"}
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if if_none_match == etag:
            return 304, b"", {"ETag": etag}
        return 200, body, {"ETag": etag, "Content-Type": "application/xml"}

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            status, body, headers = self.answer(
                request.url.path, request.headers.get("if-none-match")
            )
            return httpx.Response(status, content=body, headers=headers)

        return httpx.MockTransport(handle)


class LoopbackServer:
    """The site served over real HTTP on a free loopback port, in a thread."""

    def __init__(self, site: FeedSite) -> None:
        outer = site

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers = outer.answer(self.path, self.headers.get("If-None-Match"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass  # quiet: the counters say what was asked

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        site.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(5)
