from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from playlists.content.storage import LocalStorage
from tests.e2e.agent_site import Site
from tests.e2e.processes import Server
from tests.stations.factories import make_station
from tests.stations.fleet.scenario import schedule, stored_audio
from tests.world import World


@pytest.fixture
def site(world: World, database_url: str, tmp_path: Path) -> Iterator[Site]:
    """Commune A: a daily session with 400 kB of stored audio queued, one station, and the
    real server process on the test's database."""
    data = tmp_path / "data"
    storage = LocalStorage(data / "content")
    audio = stored_audio(world, "A", storage, size=400_000)
    schedule(world, "A", audio)
    station = make_station(world, "A")
    server = Server(database_url, data, tmp_path).start()
    try:
        yield Site(world, server, storage, audio, station, tmp_path)
    finally:
        server.stop()
