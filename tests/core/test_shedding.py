"""Load shedding: past the limit of agent requests in progress, the next gets 503 with a
spread Retry-After at once; others' paths are never shed; once requests finish, new ones
are served again."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import httpx
from starlette.types import Receive, Scope, Send

from core.shedding import LoadShedder


def test_past_the_limit_agent_requests_get_503_with_retry_after() -> None:
    release = asyncio.Event()
    entered: list[str] = []
    arrived = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        entered.append(scope["path"])
        arrived.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    shedder = LoadShedder(slow, prefix="/agent/v1", limit=2, rng=random.Random(1))

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=shedder)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get("/agent/v1/manifest")) for _ in range(2)]
            await _until(lambda: len(entered) == 2, arrived)
            refused = await client.get("/agent/v1/heartbeat")
            assert refused.status_code == 503
            assert 10 <= int(refused.headers["retry-after"]) <= 60
            assert "try again in" in refused.json()["detail"]
            other = asyncio.create_task(client.get("/api/v1/alerts"))  # not the agents'
            # Let in although two agent requests are in.
            await _until(lambda: "/api/v1/alerts" in entered, arrived)
            release.set()
            assert [r.status_code for r in await asyncio.gather(*held, other)] == [200] * 3
            assert (await client.get("/agent/v1/manifest")).status_code == 200
        assert shedder.shed == 1

    asyncio.run(scenario())


async def _until(done: Callable[[], bool], arrived: asyncio.Event) -> None:
    while not done():
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 5)


def test_a_limit_of_zero_never_sheds() -> None:
    async def quick(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    shedder = LoadShedder(quick, prefix="/agent/v1", limit=0)
    shedder.in_progress = 10_000

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=shedder)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.get("/agent/v1/manifest")).status_code

    assert asyncio.run(scenario()) == 204
