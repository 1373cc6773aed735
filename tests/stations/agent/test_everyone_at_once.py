"""Everyone at once, on the agent's side: a loop that got 503 (or 429) with Retry-After
waits that long rather than its shorter backoff, never more than RETRY_AFTER_MAX_S (without
the header, or with an HTTP date, it backs off as after any error); and the first as-run
uploads after a quiet spell, and the fetches after a pushed change of files not needed soon,
are spread."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials
from stations.agent.link import RETRY_AFTER_MAX_S, retry_after
from stations.agent.runtime import Agent
from stations.protocol import AsRunRecord, ManifestEvent, encode_event


def _record() -> AsRunRecord:
    start = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    return AsRunRecord(
        id=uuid.uuid4(),
        item_id="1@20261201T230000Z",
        content_id=1,
        planned_start=start,
        started_at=start,
        ended_at=start + timedelta(seconds=30),
        result="played",
        clock_offset_ms=0,
    )


class Stop(Exception):
    pass


def _waited(tmp_path: Path, response: httpx.Response) -> float:
    """How long the sync loop waits after the server answers its poll with `response`."""
    config = AgentConfig(server="http://loaxa.test", data_dir=tmp_path / "pi")  # type: ignore[arg-type]
    config.data_dir.mkdir()
    agent = Agent(config, Credentials(station_id=1, token="t"))
    agent.link.client = httpx.AsyncClient(
        base_url="http://loaxa.test", transport=httpx.MockTransport(lambda _: response)
    )
    waits: list[float] = []

    async def wait(delay: float) -> None:
        waits.append(delay)
        raise Stop

    async def scenario() -> None:
        with pytest.raises(Stop):
            await agent._repeat(
                "sync", agent.sync_once, interval=lambda: 60.0, backoff_max_s=300, wait=wait
            )
        await agent.link.close()
        agent.outbox.close()

    asyncio.run(scenario())
    return waits[0]


@pytest.mark.parametrize("status", [503, 429])
def test_the_loop_waits_as_long_as_a_busy_server_asks(tmp_path: Path, status: int) -> None:
    busy = httpx.Response(status, headers={"Retry-After": "37"}, json={"detail": "busy"})
    assert _waited(tmp_path, busy) == 37.0


def test_without_retry_after_the_loop_backs_off_as_after_any_error(tmp_path: Path) -> None:
    # The first failure's backoff: at most backoff_initial_s (1 s by default).
    assert _waited(tmp_path, httpx.Response(503, json={"detail": "busy"})) <= 1.0


def test_retry_after_is_read_in_seconds_only_and_capped() -> None:
    request = httpx.Request("GET", "http://loaxa.test/agent/v1/manifest")

    def error(status: int, value: str) -> httpx.HTTPStatusError:
        response = httpx.Response(status, headers={"Retry-After": value}, request=request)
        return httpx.HTTPStatusError("x", request=request, response=response)

    assert retry_after(error(503, "12")) == 12.0
    assert retry_after(error(503, "86400")) == RETRY_AFTER_MAX_S
    assert retry_after(error(503, "Wed, 21 Oct 2026 07:28:00 GMT")) == 0.0
    assert retry_after(error(500, "12")) == 0.0  # not a busy server's answer
    assert retry_after(RuntimeError("no answer")) == 0.0


def test_the_first_records_after_a_quiet_spell_wait_a_random_spread(tmp_path: Path) -> None:
    """Every station of a province ends a session at once: their first uploads after it are
    spread over upload_spread_s; records that follow while busy go at the next turn."""
    config = AgentConfig(
        server="http://loaxa.test",  # type: ignore[arg-type]
        data_dir=tmp_path / "pi",
        upload_spread_s=30.0,
    )
    config.data_dir.mkdir()
    agent = Agent(config, Credentials(station_id=1, token="t"))
    uploaded: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        uploaded.append(len(json.loads(request.content)))
        return httpx.Response(200, json={"accepted": uploaded[-1], "duplicates": 0})

    agent.link.client = httpx.AsyncClient(
        base_url="http://loaxa.test", transport=httpx.MockTransport(answer)
    )
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    agent._pause = pause

    async def scenario() -> None:
        await agent._upload_spread()  # nothing ready: no pause, nothing sent
        agent.outbox.record(_record())
        await agent._upload_spread()  # the first after a quiet spell: spread
        agent.outbox.record(_record())
        await agent._upload_spread()  # while busy: at once
        await agent._upload_spread()  # nothing left: quiet again
        agent.outbox.record(_record())
        await agent._upload_spread()
        await agent.link.close()
        agent.outbox.close()

    asyncio.run(scenario())
    assert uploaded == [1, 1, 1]
    assert len(pauses) == 2 and all(0 <= p <= 30.0 for p in pauses)


def _item(n: int, sha: str, start: datetime) -> dict[str, object]:
    return {
        "id": f"{n}@x",
        "kind": "file",
        "content_id": n,
        "sha256": sha,
        "url": f"/agent/v1/files/{sha}",
        "start": start.isoformat(),
        "duration_s": 30.0,
        "timing": "soft",
        "tier": "normal",
        "volume": 80,
        "title": f"Bản tin {n}",
    }


def _manifest(version: int, items: list[dict[str, object]], sizes: dict[str, int]) -> bytes:
    now = datetime.now(UTC)
    return json.dumps(
        {
            "station_id": 1,
            "version": version,
            "generated_at": now.isoformat(),
            "server_time": now.isoformat(),
            "timezone": "Asia/Ho_Chi_Minh",
            "horizon_until": (now + timedelta(days=7)).isoformat(),
            "volume_plan": [],
            "items": items,
            "alerts": [],
            "files": [
                {"sha256": sha, "size": size, "url": f"/agent/v1/files/{sha}"}
                for sha, size in sizes.items()
            ],
        }
    ).encode()


def test_after_a_pushed_change_files_not_needed_soon_are_fetched_a_little_later(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    near, far = os.urandom(2000), os.urandom(3000)
    sha = {data: hashlib.sha256(data).hexdigest() for data in (near, far)}
    items = [
        _item(1, sha[near], now + timedelta(minutes=1)),
        _item(2, sha[far], now + timedelta(hours=3)),
    ]
    manifests = {1: _manifest(1, [], {}), 2: _manifest(2, items, {sha[near]: 2000, sha[far]: 3000})}
    serving = {"version": 1}
    fetched: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/agent/v1/manifest":
            return httpx.Response(200, content=manifests[serving["version"]])
        wanted = request.url.path.rsplit("/", 1)[-1]
        fetched.append(wanted)
        return httpx.Response(200, content=near if wanted == sha[near] else far)

    config = AgentConfig(server="http://loaxa.test", data_dir=tmp_path / "pi")  # type: ignore[arg-type]
    config.data_dir.mkdir()
    agent = Agent(config, Credentials(station_id=1, token="t"))
    agent.link.client = httpx.AsyncClient(
        base_url="http://loaxa.test", transport=httpx.MockTransport(answer)
    )
    pauses: list[float] = []
    released = asyncio.Event()

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        await released.wait()

    agent._pause = pause

    async def scenario() -> None:
        await agent.sync_once()  # version 1, nothing to fetch
        serving["version"] = 2
        agent._on_event(encode_event(ManifestEvent(type="manifest", version=2)))
        await agent.sync_once()
        assert fetched == [sha[near]]  # the item in a minute: at once
        assert len(pauses) == 1 and 0 <= pauses[0] <= config.fetch_spread_s
        released.set()
        await asyncio.gather(*agent._tasks)
        assert fetched == [sha[near], sha[far]]  # the item in three hours: a little later
        await agent.link.close()
        agent.outbox.close()

    asyncio.run(scenario())
