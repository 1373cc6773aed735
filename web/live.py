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
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from core.auth.tokens import token_is_valid
from web.session import SESSION_COOKIE
from web.templating import GZIP_FROM_BYTES, environment

LIVE = "parts/live.html"  # the element that asks again
KEPT = 512  # parts a process keeps rendered (scopes × languages × things shown)
KEPT_POLLERS = 20_000  # browsers polling, each remembered for...
# ...this long after the route last checked its sign-in and scope. A 204 shows nothing
# new; a part that changed is answered from memory too, after one query that the sign-in
# still holds (a sign-out, a revoked or expired token, a deactivated user stop it at
# once); a role taken away stops it when the route next runs, within this time.
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
        self._gzipped: OrderedDict[Hashable, tuple[str, bytes]] = OrderedDict()

    def remember(self, session: str, url: str, key: Hashable) -> None:
        """This browser, signed in and allowed to see it, polls `url` for the part `key`."""
        with self._lock:
            self._polled[(session, url)] = (time.monotonic() + POLLER_KEPT_S, key)
            self._polled.move_to_end((session, url))
            while len(self._polled) > KEPT_POLLERS:
                self._polled.popitem(last=False)

    def polled(self, session: str, url: str) -> tuple[Hashable, str, str] | None:
        """The part this browser polls at `url`, if the route answered it lately and the
        part is kept fresh: its key, html and digest."""
        with self._lock:
            polled = self._polled.get((session, url))
            if polled is None or polled[0] < time.monotonic():
                return None
            found = self._kept.get(polled[1])
            if found is None or time.monotonic() - found[0] > self._ttl_s:
                return None
            return polled[1], found[1], found[2]

    def unchanged(self, session: str, url: str, seen: str) -> bool:
        """Whether the part this browser polls at `url` still has the digest `seen`."""
        found = self.polled(session, url)
        return found is not None and found[2] == seen

    def compressed(self, key: Hashable, html: str) -> bytes:
        """The part gzip'd, once per render however many polls it answers."""
        with self._lock:
            body = self._gzipped.get(key)
            if body is not None and body[0] == html:
                return body[1]
        packed = gzip.compress(html.encode(), 6)
        with self._lock:
            self._gzipped[key] = (html, packed)
            while len(self._gzipped) > KEPT:
                self._gzipped.popitem(last=False)
        return packed

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
    """ASGI middleware: a poll of a live part the route answered for this browser within
    POLLER_KEPT_S (having checked its sign-in and scope) is answered from memory, before
    routing: 204 when the page still shows it; when it changed, the kept part, once one
    query says the sign-in still holds. Anything else goes through the route."""

    def __init__(self, app: ASGIApp, *, state: object) -> None:
        self.app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._from_memory(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def _from_memory(
        self, scope: Scope
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        query: bytes = scope.get("query_string", b"")
        before, found, seen = query.rpartition(b"seen=")
        if not found or not seen or (before and not before.endswith(b"&")):
            return None
        cache: LiveCache | None = getattr(self._state, "live_cache", None)
        session = _cookie(scope["headers"], SESSION_COOKIE.encode())
        if cache is None or session is None:
            return None
        rest = before[:-1].decode("latin-1")
        url = scope["path"] + (f"?{rest}" if rest else "")
        part = cache.polled(session_digest(session), url)
        if part is None:
            return None
        key, html, digest = part
        if digest == seen.decode("latin-1"):
            return 204, [], b""
        if not await run_in_threadpool(self._signed_in, session):
            return None  # the route sends it to sign in again
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"vary", b"Accept-Encoding"),
        ]
        body = html.encode()
        if len(body) >= GZIP_FROM_BYTES and b"gzip" in (_header(scope, b"accept-encoding") or b""):
            body = cache.compressed(key, html)
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        return 200, headers, body

    def _signed_in(self, token: str) -> bool:
        database = getattr(self._state, "database", None)
        clock = getattr(self._state, "clock", None)
        if database is None or clock is None:
            return False
        return token_is_valid(database=database, token=token, now=clock.now())


def _header(scope: Scope, name: bytes) -> bytes | None:
    for header, value in scope["headers"]:
        if header == name:
            return bytes(value)
    return None


def _cookie(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for header, value in headers:
        if header == b"cookie":
            for part in value.split(b";"):
                key, _, found = part.strip().partition(b"=")
                if key == name and found:
                    return found.decode("latin-1")
    return None
