"""A real server and a real agent process over loopback: enrolment, the manifest 200 then
304, a change pushed through the event channel, a download resumed after a cut, as-run
uploads retried until exactly one record is stored, the event channel's 401 to a bad token,
and a revocation that stops the agent until it is enrolled again."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets
from websockets.asyncio.client import connect

from stations.agent import credentials
from stations.agent.outbox import Outbox
from stations.protocol import EVENTS_PATH, AsRunRecord
from tests.e2e.agent_site import FAST, Site, saved_version, token_of, verified
from tests.e2e.processes import Agent, wait_for
from tests.e2e.proxy import Proxy
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import schedule, stored_audio

# The real processes run on SQLite; the protocol's storage is tested on both backends
# in tests/stations/fleet.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def records(count: int, every: timedelta = timedelta(minutes=1)) -> list[AsRunRecord]:
    start = datetime.now(UTC)
    return [
        AsRunRecord(
            id=uuid.uuid4(),
            item_id=f"{i}@x",
            content_id=1,
            planned_start=start + i * every,
            started_at=start + i * every,
            ended_at=start + i * every + timedelta(seconds=30),
            result="played",
            clock_offset_ms=0,
        )
        for i in range(count)
    ]


def _shown_with(site: Site, version: int | None) -> dict[str, object] | None:
    """The station as GET /api/v1/stations/{id} shows it, once it reports `version`."""
    admin = {"Authorization": f"Bearer {site.world.token('admin_a')}"}
    url = f"{site.server.url}/api/v1/stations/{site.station_id}"
    shown: dict[str, object] = httpx.get(url, headers=admin).json()
    return shown if shown["manifest_version"] == version else None


def test_enrol_sync_then_304_and_the_station_shows_online(site: Site) -> None:
    with Proxy(site.server.port) as proxy:
        agent = site.agent(
            "pi", *FAST, "--poll-interval", "0.3", server_url=f"http://127.0.0.1:{proxy.port}"
        )
        agent.start()
        try:
            wait_for(
                lambda: verified(agent.data_dir, site.audio.sha256),
                timeout=20,
                what="file synced",
                log=agent.log,
            )
            assert saved_version(agent.data_dir) == site.version()
            wait_for(
                lambda: proxy.statuses_for("/agent/v1/manifest").count(304) >= 2,
                timeout=10,
                what="304s",
            )
            statuses = proxy.statuses_for("/agent/v1/manifest")
            first_ok = statuses.index(200)
            assert set(statuses[first_ok + 1 :]) == {304}, statuses
            assert all(
                "if-none-match" in h.lower()
                for h in proxy.heads_for("/agent/v1/manifest")[first_ok + 1 :]
            )
            shown = wait_for(
                lambda: _shown_with(site, site.version()), timeout=10, what="station online"
            )
            assert shown["status"] == "online"
            assert abs(shown["clock_offset_ms"]) < 1000  # same machine, same clock
            assert (agent.data_dir / "station.json").stat().st_mode & 0o777 == 0o600
        finally:
            agent.stop()


def test_a_change_reaches_the_agent_within_a_second_through_the_event_channel(site: Site) -> None:
    agent = site.agent(
        "pi", "--poll-interval", "600", "--heartbeat-interval", "600", "--backoff-max", "1"
    )
    agent.start()
    try:
        wait_for(
            lambda: saved_version(agent.data_dir) == site.version(),
            timeout=20,
            what="first sync",
            log=agent.log,
        )
        wait_for(lambda: "events: connected" in agent.text(), timeout=10, what="event channel")
        before = site.version()
        schedule(site.world, "A", stored_audio(site.world, "A", site.storage, size=10_000))
        wait_for(lambda: site.version() != before, timeout=10, what="server rebuild")
        built = time.monotonic()
        new = site.version()
        wait_for(
            lambda: saved_version(agent.data_dir) == new,
            timeout=5,
            what="pushed manifest",
            log=agent.log,
        )
        assert time.monotonic() - built < 1.0
    finally:
        agent.stop()


def test_a_download_cut_off_resumes_where_it_stopped(site: Site) -> None:
    with Proxy(site.server.port) as proxy, proxy.faulty(cut_after_bytes=150_000):
        agent = site.agent("pi", server_url=f"http://127.0.0.1:{proxy.port}").start()
        try:
            wait_for(
                lambda: verified(agent.data_dir, site.audio.sha256),
                timeout=20,
                what="file synced",
                log=agent.log,
            )
        finally:
            agent.stop()
    heads = proxy.heads_for(f"/agent/v1/files/{site.audio.sha256}")
    assert len(heads) == 2, heads
    resumed = heads[1].lower()
    assert "range: bytes=" in resumed and "if-range:" in resumed
    assert int(resumed.split("range: bytes=")[1].split("-")[0]) > 0
    assert proxy.statuses_for("/agent/v1/files/")[-1] == 206


def test_asrun_retried_after_lost_acknowledgements_is_stored_once(site: Site) -> None:
    with Proxy(site.server.port) as proxy, proxy.faulty(swallow_paths={"/agent/v1/asrun": 2}):
        agent = site.agent("pi", server_url=f"http://127.0.0.1:{proxy.port}").start()
        try:
            wait_for(
                lambda: (agent.data_dir / "outbox.sqlite3").exists(), timeout=20, what="outbox"
            )
            outbox = Outbox(agent.data_dir / "outbox.sqlite3")
            written = records(3)
            for record in written:
                outbox.record(record)
            wait_for(lambda: outbox.count() == 0, timeout=20, what="outbox drained", log=agent.log)
            outbox.close()
        finally:
            agent.stop()
    assert proxy.statuses_for("/agent/v1/asrun") == [200, 200, 200]  # the server got all three
    assert sorted(site.asrun_ids()) == sorted(str(r.id) for r in written)
    assert token_of(agent.data_dir)


def _handshake(url: str, headers: dict[str, str]) -> websockets.InvalidStatus:
    async def dial() -> websockets.InvalidStatus:
        try:
            async with connect(url, additional_headers=headers, open_timeout=5):
                pass
        except websockets.InvalidStatus as refused:
            return refused
        pytest.fail("the handshake was accepted")

    return asyncio.run(dial())


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["none", "forged"])
def test_the_event_channel_answers_401_to_a_bad_token_like_every_agent_route(
    site: Site, token: str | None
) -> None:
    """uvicorn sends the denial response as HTTP: a 401 with the routes' body and header."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = site.server.url.replace("http://", "ws://") + EVENTS_PATH
    refused = _handshake(url, headers).response
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    route = httpx.get(f"{site.server.url}/agent/v1/manifest", headers=headers)
    assert route.status_code == 401 and refused.body == route.content


def test_an_agent_whose_token_is_refused_says_so_and_keeps_trying(site: Site) -> None:
    """Revoked while it was off (no event reached it): every route and the event channel
    answer 401; the agent says why, keeps its token and goes on retrying (a 401 alone may
    be a proxy's or a restored database's)."""
    data_dir = site.tmp / "pi"
    data_dir.mkdir(mode=0o700)
    credentials.save(data_dir, credentials.Credentials(station_id=site.station_id, token="old"))
    agent = Agent(site.server.url, data_dir, site.tmp, "--no-playout", *FAST).start()
    try:
        wait_for(
            lambda: (
                "events: the server refused this station's token" in agent.text()
                and "sync: the server refused this station's token" in agent.text()
            ),
            timeout=20,
            what="the refusals logged",
            log=agent.log,
        )
        assert agent.alive()
    finally:
        agent.stop()
    assert "events: the server refused this station's token (the station token is unknown" in (
        agent.text()
    )  # the words of the 401 to the handshake
    assert credentials.load(data_dir) == credentials.Credentials(site.station_id, "old")


def test_a_revoked_agent_stops_and_plays_again_only_once_enrolled_anew(site: Site) -> None:
    agent = site.agent("pi", "--poll-interval", "0.3", *FAST)
    agent.start()
    try:
        wait_for(
            lambda: (
                saved_version(agent.data_dir) == site.version()
                and "events: connected" in agent.text()
            ),
            timeout=20,
            what="synced, event channel open",
            log=agent.log,
        )
        token = token_of(agent.data_dir)
        admin = {"Authorization": f"Bearer {site.world.token('admin_a')}"}
        revoked = httpx.post(
            f"{site.server.url}/api/v1/stations/{site.station_id}/revoke", headers=admin
        )
        assert revoked.status_code == 204
        wait_for(lambda: not agent.alive(), timeout=10, what="agent stopped", log=agent.log)
    finally:
        agent.stop()
    log = agent.text()
    assert "REVOKED" in log and "--enroll NEW-CODE" in log
    assert credentials.load(agent.data_dir) is None
    (aside,) = agent.data_dir.glob("station.revoked-*.json")
    assert token in aside.read_text()
    # Restarted as systemd would: it will not run without a token, and says what to do.
    # (The three processes share one log file.)
    before = len(log)
    restarted = Agent(site.server.url, agent.data_dir, site.tmp, "--no-playout", *FAST).start()
    wait_for(lambda: not restarted.alive(), timeout=20, what="restart refused", log=restarted.log)
    assert restarted.popen is not None and restarted.popen.returncode == 2
    assert "this agent is not enrolled: its token was revoked" in restarted.text()[before:]
    # A new code from the admin puts it back.
    before = len(restarted.text())
    code = enrollment_code(site.world, site.station_id)
    again = Agent(site.server.url, agent.data_dir, site.tmp, "--enroll", code, "--no-playout")
    again.start()
    try:
        wait_for(
            lambda: (
                "manifest: version" in again.text()[before:]
                and "events: connected" in again.text()[before:]
            ),
            timeout=20,
            what="synced once enrolled again",
            log=again.log,
        )
        assert token_of(agent.data_dir) != token
    finally:
        again.stop()
