"""The manifest an agent gets is the built horizon, flattened: stable item ids, relays as
streams, files listed with their sizes, the sessions as the volume plan, and the same bytes
for the same version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from playlists.content.storage import LocalStorage
from playlists.timelines.manifest import TimelineManifests
from tests.playlists.sessions.factories import make_entry, make_session
from tests.playlists.timelines.factories import queue_into
from tests.stations.factories import make_station
from tests.stations.fleet.scenario import keeper_for, stored_audio
from tests.world import World


def test_a_session_with_audio_and_a_relay(world: World, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "content")
    audio = stored_audio(world, "A", storage, size=5000)
    session_id = make_session(world, "A")
    queue_into(world, session_id, audio.content_id)
    make_entry(world, "A", session_id=session_id)  # a relay at 05:35 for 10 minutes
    station = make_station(world, "A")
    keeper_for(world).tick()
    source = TimelineManifests(storage)
    now = datetime.now(UTC)
    with world.database.session() as session:
        manifest = source.manifest(session=session, station_id=station, now=now)
        again = source.manifest(session=session, station_id=station, now=now + timedelta(seconds=5))
        build = source.current(session=session, station_id=station)
        assert build is not None
        named = source.station_files(session=session, station_id=station, build=build)
    assert manifest is not None and again is not None
    assert (manifest.version, manifest.build_id) == (build.version, build.build_id)
    # Everything but the server's clock reading follows from the version.
    assert manifest.model_copy(update={"server_time": now}) == again.model_copy(
        update={"server_time": now}
    )
    relays = [i for i in manifest.items if i.kind == "relay"]
    files = [i for i in manifest.items if i.kind == "file"]
    assert len(relays) == len(files) == 7
    assert all(
        r.sha256 is None and r.url.startswith("http://") and r.timing == "hard" for r in relays
    )
    assert all(f.url == f"/agent/v1/files/{audio.sha256}" for f in files)
    assert [f.sha256 for f in manifest.files] == [audio.sha256] and manifest.files[0].size == 5000
    assert named == {audio.sha256}
    assert len({i.id for i in manifest.items}) == 14
    assert len(manifest.volume_plan) == 7
    assert all(w.to - w.from_ == timedelta(minutes=30) for w in manifest.volume_plan)
    assert manifest.horizon_until > manifest.items[-1].start
    assert source.file_path(audio.sha256) == storage.path(audio.sha256)
    assert source.file_path("0" * 64) is None
