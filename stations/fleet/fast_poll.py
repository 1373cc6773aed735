"""The fleet's most frequent request, answered before routing: a manifest poll whose
If-None-Match still holds gets its 304 from memory — the poll directory's build for the
token, the alert board's alerts for the station — with no thread-pool hop, no dependency
resolution and no database.

Whatever it cannot settle from memory (a token not in the directory yet, a changed
manifest, no If-None-Match) goes on to the route, which answers exactly as before and fills
the directory for next time.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from stations.fleet.directory import PollDirectory
from stations.fleet.enrolment import token_digest
from stations.fleet.push_plan import PushPlan, manifest_tag
from stations.fleet.sources import AlertSource
from stations.protocol import MANIFEST_PATH


class ManifestNotModified:
    """ASGI middleware: 304 for an unchanged manifest, straight from memory."""

    def __init__(self, app: ASGIApp, *, state: object) -> None:
        self.app = app
        # The app's state, read per request: the directory and board exist by then.
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == MANIFEST_PATH
            and scope["method"] == "GET"
            and (etag := self._unchanged(scope)) is not None
        ):
            headers = [(b"etag", etag), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)

    def _unchanged(self, scope: Scope) -> bytes | None:
        token, asked = _credentials(scope["headers"])
        if token is None or asked is None:
            return None
        directory: PollDirectory = self._state.directory  # type: ignore[attr-defined]
        caller = directory.cached(token_digest(token))
        if caller is None or caller.build is None:
            return None
        alerts: AlertSource = self._state.alerts  # type: ignore[attr-defined]
        now = self._state.clock.now()  # type: ignore[attr-defined]
        held = alerts.for_station(caller.station.station_id, now)
        plan: PushPlan = self._state.push_plan  # type: ignore[attr-defined]
        current = caller.build.etag(manifest_tag(caller, held, plan))
        return current.encode() if current.encode() == asked else None


def _credentials(headers: list[tuple[bytes, bytes]]) -> tuple[str | None, bytes | None]:
    """The bearer token and the If-None-Match of a request's raw headers."""
    token: str | None = None
    asked: bytes | None = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                token = credentials.strip().decode("latin-1")
        elif name == b"if-none-match":
            asked = value.strip()
    return token, asked
