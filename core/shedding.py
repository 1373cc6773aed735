"""Shed load rather than fall over (DESIGN.md: everyone at once): past a number of agent
requests in progress in this process, an agent request gets 503 with a Retry-After at
once, instead of queueing behind the others until every one of them times out. The agent
waits as long as it is told (stations/agent/runtime.py), and the Retry-After is spread, so
the shed requests do not all come back together."""

from __future__ import annotations

import json
import random

from starlette.types import ASGIApp, Receive, Scope, Send


class LoadShedder:
    """ASGI middleware over the paths starting with `prefix` (HTTP only: an open event
    channel costs nothing while it waits)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        limit: int,
        retry_after_s: tuple[int, int] = (10, 60),
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self._prefix = prefix
        self._limit = limit
        self._retry_after_s = retry_after_s
        self._rng = rng or random.Random()
        self.in_progress = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self._limit <= 0
            or not scope["path"].startswith(self._prefix)
        ):
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self._limit:
            self.shed += 1
            await self._refuse(send)
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1

    async def _refuse(self, send: Send) -> None:
        wait = self._rng.randint(*self._retry_after_s)
        body = json.dumps(
            {"detail": f"the server is busy; try again in {wait} s (Retry-After)"}
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
