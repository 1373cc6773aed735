"""Parts of a page that keep themselves current by conditional polling (the stations'
board, an alert's delivery board): the part is rendered inside an element that asks for it
again every `refresh_s` with the digest of what it shows; the server answers 204 when the
part is unchanged (htmx then leaves the page alone), and keeps each rendered part for half
the interval, so hundreds of open pages on the same thing cost one query per interval.

Polling rather than server-sent events: what these parts show also changes with time alone
(a station is offline once its third heartbeat is missed, an alert is overdue 30 s after it
was issued, with no event to push), the server runs in several processes behind nginx, and
a poll is one short request that no proxy or phone holds open."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.types import ASGIApp, Receive, Scope, Send

from web.session import SESSION_COOKIE
from web.templating import GZIP_FROM_BYTES, environment

LIVE = "parts/live.html"  # the element that asks again
KEPT = 512  # parts a process keeps rendered (scopes × languages × things shown)
KEPT_POLLERS = 20_000  # browsers polling, each remembered for...
# ...this long after the route last checked its sign-in and scope: a 204 shows nothing
# new, so a sign-out or a lost role stops the data at the next 200, at once.
POLLER_KEPT_S = 60.0


class LiveCache:
    """Rendered parts, each kept `ttl_s`: key → (html with its element, digest); and which
    part each signed-in browser polls (its session's digest and the part's address → key),
    so an unchanged part's poll is answered before routing (LiveNotModified)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[float, str, str]] = OrderedDict()
        self._polled: OrderedDict[tuple[str, str], tuple[float, Hashable]] = OrderedDict()

    def remember(self, session: str, url: str, key: Hashable) -> None:
        """This browser, signed in and allowed to see it, polls `url` for the part `key`."""
        with self._lock:
            self._polled[(session, url)] = (time.monotonic() + POLLER_KEPT_S, key)
            self._polled.move_to_end((session, url))
            while len(self._polled) > KEPT_POLLERS:
                self._polled.popitem(last=False)

    def unchanged(self, session: str, url: str, seen: str) -> bool:
        """Whether the part this browser polls at `url` still has the digest `seen`."""
        with self._lock:
            polled = self._polled.get((session, url))
            if polled is None or polled[0] < time.monotonic():
                return False
            found = self._kept.get(polled[1])
            return (
                found is not None
                and time.monotonic() - found[0] <= self._ttl_s
                and found[2] == seen
            )

    def get(self, key: Hashable) -> tuple[str, str] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None or time.monotonic() - found[0] > self._ttl_s:
                return None
            return found[1], found[2]

    def put(self, key: Hashable, html: str, digest: str) -> tuple[str, str]:
        with self._lock:
            self._kept[key] = (time.monotonic(), html, digest)
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return html, digest


def live_cache(request: Request, refresh_s: float) -> LiveCache:
    cache: LiveCache | None = getattr(request.app.state, "live_cache", None)
    if cache is None:
        # Kept for half the refresh: a part is never more than 1.5 intervals behind.
        cache = request.app.state.live_cache = LiveCache(ttl_s=refresh_s / 2)
    return cache


def live_part(
    request: Request,
    *,
    key: Hashable,
    refresh_s: float,
    url: str,
    element_id: str,
    render: Callable[[], str],
) -> tuple[str, str]:
    """The part (rendered by `render` unless kept) in its polling element, and its digest.
    `url` is the fragment's address; the digest is added to it as `seen`."""
    cache = live_cache(request, refresh_s)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        cache.remember(session_digest(session), url, key)
    kept = cache.get(key)
    if kept is not None:
        return kept
    inner = render()
    digest = hashlib.sha256(inner.encode()).hexdigest()[:16]
    separator = "&" if "?" in url else "?"
    html = environment.get_template(LIVE).render(
        inner=Markup(inner),
        url=f"{url}{separator}seen={digest}",
        element_id=element_id,
        refresh_s=refresh_s,
    )
    return cache.put(key, html, digest)


def fragment_response(request: Request, html: str, digest: str, seen: str) -> Response:
    """What a poll gets: 204 when it already shows this digest, else the part, gzip'd when
    the browser takes it (a commune's board is some 70 kB, a tenth of that compressed)."""
    if seen == digest:
        return Response(status_code=204)
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding"}
    body = html.encode()
    if len(body) >= GZIP_FROM_BYTES and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, 6)
        headers["Content-Encoding"] = "gzip"
    return HTMLResponse(body, headers=headers)


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LiveNotModified:
    """ASGI middleware: a poll of a live part that still shows what the page has gets its
    204 from memory, before routing, sign-in and the database (the route answered this
    browser for this part within POLLER_KEPT_S, having checked both)."""

    def __init__(self, app: ASGIApp, *, state: object) -> None:
        self.app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and self._unchanged(scope):
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)

    def _unchanged(self, scope: Scope) -> bool:
        query: bytes = scope.get("query_string", b"")
        before, found, seen = query.rpartition(b"seen=")
        if not found or not seen or (before and not before.endswith(b"&")):
            return False
        cache: LiveCache | None = getattr(self._state, "live_cache", None)
        session = _cookie(scope["headers"], SESSION_COOKIE.encode())
        if cache is None or session is None:
            return False
        rest = before[:-1].decode("latin-1")
        url = scope["path"] + (f"?{rest}" if rest else "")
        return cache.unchanged(session_digest(session), url, seen.decode("latin-1"))


def _cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for header, value in headers:
        if header == b"cookie":
            for part in value.split(b";"):
                key, _, found = part.strip().partition(b"=")
                if key == name and found:
                    return found.decode("latin-1")
    return None
