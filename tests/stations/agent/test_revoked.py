"""The server's "revoked" event: the agent sends nothing more with its token, sets its
credentials aside so a restart cannot use them, stops playing, and says to enrol again.
A plain 401 does not stop it (a proxy or a restored database may answer one)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from stations.agent import credentials
from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials
from stations.agent.link import ServerLink
from stations.agent.outbox import Outbox
from stations.agent.runtime import Agent
from tests.audio.fake_player import FakePlayer
from tests.stations.agent.test_manifest_store import _manifest

TOKEN = "the-station-token"
RELAY = "http://radio.example.vn/live"


class Server:
    """Answers every request with `status`, remembering each one's Authorization."""

    def __init__(self, status: int = 503) -> None:
        self.status = status
        self.seen: list[tuple[str, str | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get("authorization")))
        return httpx.Response(self.status, json={"detail": "refused"})


def _agent(tmp_path: Path, server: Server, player: FakePlayer | None) -> Agent:
    data_dir = tmp_path / "pi"
    data_dir.mkdir()
    saved = Credentials(station_id=7, token=TOKEN)
    credentials.save(data_dir, saved)
    config = AgentConfig(
        server="http://127.0.0.1:9",  # type: ignore[arg-type]  # the event channel: refused
        data_dir=data_dir,
        poll_interval_s=0.05,
        heartbeat_interval_s=0.05,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    agent = Agent(config, saved, player)
    asyncio.run(agent.link.close())
    agent.link = ServerLink(config, TOKEN, agent.clock.estimator, httpx.MockTransport(server))
    # A relay on the air now: the fake player plays it without a file.
    now = datetime.now(UTC)
    relay = {
        "id": "5@relay",
        "kind": "relay",
        "content_id": 5,
        "sha256": None,
        "url": RELAY,
        "start": (now - timedelta(seconds=10)).isoformat(),
        "duration_s": 600.0,
        "timing": "hard",
        "tier": "normal",
        "volume": 80,
        "title": "Tiếp sóng",
    }
    window = {"from": now.isoformat(), "to": (now + timedelta(hours=1)).isoformat(), "volume": 80}
    agent.manifests.accept(_manifest(1, items=[relay], files=[], volume_plan=[window]))
    return agent


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"{what}: not within 5 s")


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), timeout=20))


def test_revoked_stops_the_token_the_playout_and_sets_the_credentials_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, player = Server(), FakePlayer()
    agent = _agent(tmp_path, server, player)

    async def scenario() -> None:
        running = asyncio.create_task(agent.run())
        await _until(lambda: len(server.seen) >= 4 and bool(player.calls), "syncing and playing")
        assert player.calls[0].source == RELAY
        told = len(server.seen)
        agent._on_event('{"type":"revoked"}')
        await asyncio.wait_for(running, timeout=5)  # run() returns: the agent has stopped
        await asyncio.sleep(0.2)  # several poll and heartbeat intervals
        assert len(server.seen) == told, "no request after the revocation"

    with caplog.at_level(logging.INFO, logger="loaxa.agent"):
        _run(scenario)
    assert "authorization" not in agent.link.client.headers
    assert player.state.value == "idle"  # playout stopped
    # A restart finds no credentials (the agent asks to be enrolled); the token is kept aside.
    data_dir = agent.config.data_dir
    assert credentials.load(data_dir) is None
    (aside,) = data_dir.glob("station.revoked-*.json")
    assert json.loads(aside.read_text())["token"] == TOKEN
    assert aside.stat().st_mode & 0o777 == 0o600
    # The saved manifest (and so the cache) stays for when the station is enrolled again.
    assert (data_dir / "manifest.json").exists()
    (loud,) = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    message = loud.getMessage()
    assert "REVOKED" in message and "station #7" in message
    assert "--enroll NEW-CODE" in message and "enrollment-code" in message


def test_the_item_on_the_air_when_revoked_is_recorded_as_cut(tmp_path: Path) -> None:
    server, player = Server(), FakePlayer()
    agent = _agent(tmp_path, server, player)

    async def scenario() -> None:
        running = asyncio.create_task(agent.run())
        await _until(lambda: bool(player.calls), "playing")
        agent._on_event('{"type":"revoked"}')
        await asyncio.wait_for(running, timeout=5)

    _run(scenario)
    outbox = Outbox(agent.config.data_dir / "outbox.sqlite3")
    try:
        (record,) = [r for r in outbox.pending(10) if r.item_id == "5@relay"]
    finally:
        outbox.close()
    assert (record.result, record.error) == ("partial", "the agent stopped")


def test_a_401_alone_does_not_stop_the_agent(tmp_path: Path) -> None:
    server, player = Server(status=401), FakePlayer()
    agent = _agent(tmp_path, server, player)

    async def scenario() -> None:
        running = asyncio.create_task(agent.run())
        await _until(lambda: len(server.seen) >= 6 and bool(player.calls), "refused, playing")
        assert not running.done() and player.state.value == "playing"
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    _run(scenario)
    assert credentials.load(agent.config.data_dir) == Credentials(station_id=7, token=TOKEN)
    assert agent.last_error is not None and "refused" in agent.last_error
