"""A small HTTP server on loopback that stands in for radio streams."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES: dict[str, tuple[int, str, bytes]] = {
    "/live.mp3": (200, "audio/mpeg", b"\xff\xfb\x90\x64" + b"\x00" * 4000),
    "/radio.ogg": (200, "application/ogg", b"OggS" + b"\x00" * 4000),
    "/missing": (404, "text/html", b"<h1>not found</h1>"),
    "/page": (200, "text/html", b"<html>hello</html>"),
    "/vov.m3u": (200, "audio/x-mpegurl", b"#EXTM3U\n#EXTINF:-1,VOV1\n/live.mp3\n"),
    "/vov.pls": (200, "audio/x-scpls", b"[playlist]\nNumberOfEntries=1\nFile1=/radio.ogg\n"),
    "/empty.m3u": (200, "audio/x-mpegurl", b"#EXTM3U\n"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/trickle":
            self._trickle()
            return
        status, content_type, body = ROUTES.get(self.path, (404, "text/plain", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        """An audio stream that sends one byte every 0.2 s, for 20 s."""
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        for _ in range(100):
            try:
                self.wfile.write(b"\xff")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return
            time.sleep(0.2)  # the slow stream this stands for

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def stream_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
