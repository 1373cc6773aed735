"""Faults: the agent killed with SIGKILL mid-download and mid-upload, then restarted; the
server gone for a long while. No unverified file is ever reported playable, nothing in the
outbox is lost, and the server ends with each record exactly once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from stations.agent.cache import FileCache
from stations.agent.outbox import Outbox
from tests.e2e.agent_site import (
    Site,
    cache_is_sound,
    saved_manifest,
    saved_version,
    verified,
)
from tests.e2e.processes import Server, wait_for
from tests.e2e.proxy import Proxy
from tests.e2e.test_agent_protocol import records

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_killed_mid_download_never_vouches_for_a_partial_file_and_resumes(site: Site) -> None:
    sha = site.audio.sha256
    with Proxy(site.server.port) as proxy:
        agent, part = site.killed_mid_download("pi", proxy)
        kept = part.stat().st_size
        assert 0 < kept < len(site.audio.data)
        assert not verified(agent.data_dir, sha)
        assert not (agent.data_dir / "cache" / sha).exists()
        assert cache_is_sound(agent.data_dir)
        agent.start()
        try:
            wait_for(
                lambda: verified(agent.data_dir, sha), timeout=20, what="resumed", log=agent.log
            )
        finally:
            agent.stop()
    resumed = proxy.heads_for(f"/agent/v1/files/{sha}")[-1].lower()
    assert "range: bytes=" in resumed
    assert int(resumed.split("range: bytes=")[1].split("-")[0]) >= kept
    assert (agent.data_dir / "cache" / sha).read_bytes() == site.audio.data


def test_a_damaged_cached_file_is_discarded_and_fetched_again(site: Site) -> None:
    agent = site.agent("pi").start()
    sha = site.audio.sha256
    try:
        wait_for(lambda: verified(agent.data_dir, sha), timeout=20, what="synced", log=agent.log)
    finally:
        agent.stop()
    cached = agent.data_dir / "cache" / sha
    cached.write_bytes(b"bit rot" + cached.read_bytes()[7:])
    assert not FileCache(agent.data_dir / "cache").verified(sha)
    assert not cached.exists()  # discarded, never played
    agent.start()
    try:
        wait_for(lambda: verified(agent.data_dir, sha), timeout=20, what="refetched", log=agent.log)
    finally:
        agent.stop()


def test_killed_mid_upload_loses_nothing_and_stores_each_record_once(site: Site) -> None:
    written = records(1200)  # three batches of at most 500
    with Proxy(site.server.port) as proxy:
        url = f"http://127.0.0.1:{proxy.port}"
        agent = site.agent("pi", server_url=url).start()
        wait_for(lambda: saved_version(agent.data_dir), timeout=20, what="synced", log=agent.log)
        agent.stop()
        outbox = Outbox(agent.data_dir / "outbox.sqlite3")
        for record in written:
            outbox.record(record)
        # The first batch goes through; the second reaches the server, which stores it,
        # but its answer never arrives (nor that of any retry).
        swallow = {"/agent/v1/asrun": 10**6}
        with proxy.faulty(let_through={"/agent/v1/asrun": 1}, swallow_paths=swallow):
            agent.start()
            wait_for(
                lambda: len(proxy.statuses_for("/agent/v1/asrun")) >= 2,
                timeout=20,
                what="second batch stored",
            )
            agent.kill()
        assert len(site.asrun_ids()) == 1000  # two batches stored...
        assert outbox.count() == 700  # ...but only the first acknowledged: kept
        agent.start()
        try:
            wait_for(lambda: outbox.count() == 0, timeout=20, what="outbox drained", log=agent.log)
        finally:
            agent.stop()
        outbox.close()
    stored = site.asrun_ids()
    assert len(stored) == len(set(stored)) == 1200
    assert set(stored) == {str(r.id) for r in written}


def test_a_week_without_the_server_keeps_the_manifest_and_uploads_everything_after(
    site: Site,
) -> None:
    agent = site.agent("pi").start()
    try:
        wait_for(
            lambda: verified(agent.data_dir, site.audio.sha256),
            timeout=20,
            what="synced",
            log=agent.log,
        )
        # Connected first (after its random first delay), so its reconnection shows below.
        wait_for(lambda: "events: connected" in agent.text(), timeout=10, what="connected")
        manifest_before = (agent.data_dir / "manifest.json").read_bytes()
        site.server.stop()
        # A week of two sessions a day, 20 items each, recorded while the server is away.
        written = records(7 * 2 * 20, every=timedelta(minutes=36))
        outbox = Outbox(agent.data_dir / "outbox.sqlite3")
        for record in written:
            outbox.record(record)
        wait_for(
            lambda: agent.text().count("failed") >= 6,
            timeout=30,
            what="the agent retrying without a server",
        )
        assert agent.alive()
        assert (agent.data_dir / "manifest.json").read_bytes() == manifest_before
        manifest = saved_manifest(agent.data_dir)
        assert manifest is not None and len(manifest.items) == 7
        assert verified(agent.data_dir, site.audio.sha256)
        assert outbox.count() == len(written)
        back = Server(
            site.server.env["LOAXA_DATABASE_URL"],
            Path(site.server.env["LOAXA_DATA_DIR"]),
            site.tmp,
            port=site.server.port,
        ).start()
        try:
            wait_for(lambda: outbox.count() == 0, timeout=30, what="uploaded", log=agent.log)
            wait_for(
                lambda: agent.text().count("events: connected") >= 2,
                timeout=10,
                what="the event channel reconnected by itself",
            )
        finally:
            back.stop()
        outbox.close()
    finally:
        agent.stop()
    stored = site.asrun_ids()
    assert len(stored) == len(set(stored)) == len(written)
