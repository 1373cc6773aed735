"""Files through a real nginx in front of a real server (files_accel_redirect): the server
checks the station's token and manifest, nginx sends the bytes — a download cut part way
resumes through it with Range and If-Range on the sha256 ETag, and none of the file's
bytes pass through Python."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from playlists.content.storage import LocalStorage
from tests.e2e.agent_site import Site, verified
from tests.e2e.nginx import Nginx
from tests.e2e.processes import Server, wait_for
from tests.e2e.proxy import Proxy
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import schedule, stored_audio
from tests.world import World

ACCEL = "/_loaxa_files/"


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # The file route reads no more of the database behind nginx than without it: SQLite.
    from tests.conftest import fresh_database

    yield from fresh_database(request, "sqlite")


@pytest.fixture
def fronted(world: World, database_url: str, tmp_path: Path) -> Iterator[tuple[Site, Nginx]]:
    data = tmp_path / "data"
    storage = LocalStorage(data / "content")
    audio = stored_audio(world, "A", storage, size=400_000)
    schedule(world, "A", audio)
    station = make_station(world, "A")
    server = Server(
        database_url, data, tmp_path, settings={"LOAXA_FILES_ACCEL_REDIRECT": ACCEL}
    ).start()
    nginx = Nginx(tmp_path, upstream_ports=[server.port], content_dir=storage.root)
    try:
        nginx.start()
        yield Site(world, server, storage, audio, station, tmp_path), nginx
    finally:
        nginx.stop()
        server.stop()


def _token(site: Site, nginx: Nginx) -> str:
    code = enrollment_code(site.world, site.station_id)
    body = {"code": code, "hardware_id": "pi-nginx", "agent_version": "test"}
    answer = httpx.post(f"{nginx.url}/agent/v1/enroll", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def test_a_cut_download_resumes_through_nginx_and_python_sends_no_byte_of_it(
    fronted: tuple[Site, Nginx],
) -> None:
    site, nginx = fronted
    sha, path = site.audio.sha256, f"/agent/v1/files/{site.audio.sha256}"
    with Proxy(nginx.port) as proxy:
        agent, part = site.killed_mid_download("pi", proxy)
        kept = part.stat().st_size
        agent.start()
        try:
            wait_for(
                lambda: verified(agent.data_dir, sha), timeout=20, what="resumed", log=agent.log
            )
        finally:
            agent.stop()
    assert (agent.data_dir / "cache" / sha).read_bytes() == site.audio.data
    resumed = proxy.heads_for(path)[-1].lower()
    assert f'if-range: "{sha}"' in resumed and "range: bytes=" in resumed
    served = wait_for(lambda: nginx.served(path), timeout=5, what="nginx's log")
    statuses = [status for status, _, _ in served]
    assert statuses[0] == 200 and statuses[-1] == 206, served
    # Every byte came from disk through nginx: the server's answers were empty.
    assert all(upstream == "0" for _, _, upstream in served), served
    assert served[-1][1] <= len(site.audio.data) - kept


def test_nginx_answers_ranges_as_the_server_would_for_whom_the_server_allows(
    fronted: tuple[Site, Nginx],
) -> None:
    site, nginx = fronted
    token = _token(site, nginx)
    bearer = {"Authorization": f"Bearer {token}"}
    sha = site.audio.sha256
    url = f"{nginx.url}/agent/v1/files/{sha}"
    wait_for(
        lambda: httpx.get(f"{nginx.url}/agent/v1/manifest", headers=bearer).status_code == 200,
        timeout=20,
        what="the station's manifest built",
    )
    whole = httpx.get(url, headers=bearer)
    assert whole.status_code == 200 and whole.content == site.audio.data
    assert whole.headers["etag"] == f'"{sha}"'
    part = httpx.get(url, headers={**bearer, "Range": "bytes=1000-", "If-Range": f'"{sha}"'})
    assert part.status_code == 206 and part.content == site.audio.data[1000:]
    # An If-Range for other bytes: the whole file again, never a range of the wrong one.
    other = httpx.get(url, headers={**bearer, "Range": "bytes=1000-", "If-Range": '"x"'})
    assert other.status_code == 200 and len(other.content) == len(site.audio.data)
    # The server still decides who gets a file.
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer forged"}).status_code == 401
    unnamed = f"{nginx.url}/agent/v1/files/{'0' * 64}"
    assert httpx.get(unnamed, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    # The internal location is not reachable from outside, whatever the path.
    inside = f"{nginx.url}{ACCEL}{sha[:2]}/{sha}.opus"
    assert httpx.get(inside).status_code == 404
