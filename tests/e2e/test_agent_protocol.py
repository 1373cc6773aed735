"""A real server and a real agent process over loopback: enrolment, the manifest 200 then
304, a change pushed through the event channel, a download resumed after a cut, and as-run
uploads retried until exactly one record is stored."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from stations.agent.outbox import Outbox
from stations.protocol import AsRunRecord
from tests.e2e.agent_site import FAST, Site, saved_version, token_of, verified
from tests.e2e.processes import wait_for
from tests.e2e.proxy import Proxy
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
