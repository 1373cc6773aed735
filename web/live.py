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

from web.templating import GZIP_FROM_BYTES, environment

LIVE = "parts/live.html"  # the element that asks again
KEPT = 512  # parts a process keeps rendered (scopes × languages × things shown)


class LiveCache:
    """Rendered parts, each kept `ttl_s`: key → (html with its element, digest)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[float, str, str]] = OrderedDict()

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
