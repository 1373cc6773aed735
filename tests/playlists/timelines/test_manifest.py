"""The manifest an agent gets is the built horizon, flattened: stable item ids, relays as
streams, files listed with their sizes, the sessions as the volume plan, and the same bytes
for the same version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from playlists.content.storage import LocalStorage
from playlists.sessions.models import BroadcastSession
from playlists.timelines.manifest import TimelineManifests
from playlists.timelines.models import StoredItem, StoredTimeline, TimelineBody
from stations.fleet.agent_routes import with_alerts
from stations.fleet.sources import StationAlerts
from stations.protocol import Manifest, ManifestAlert, ManifestFile
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


def test_a_stored_day_reads_back_typed_and_is_made_into_items_once(
    world: World, tmp_path: Path
) -> None:
    """The body reads back as a StoredTimeline; its manifest items are made once and shared
    by every manifest built from it, and adding the alerts validates nothing again."""
    storage = LocalStorage(tmp_path / "content")
    audio = stored_audio(world, "A", storage, size=5000)
    queue_into(world, make_session(world, "A"), audio.content_id)
    station = make_station(world, "A")
    keeper_for(world).tick()
    with world.database.session() as session:
        body = session.exec(select(TimelineBody)).first()
    assert body is not None
    stored = body.timeline()
    assert isinstance(stored, StoredTimeline) and stored.timezone == "Asia/Ho_Chi_Minh"
    (item,) = stored.items
    assert isinstance(item, StoredItem) and item.sha256 == audio.sha256
    assert item.start.tzinfo is not None and item.timing == "soft"
    source = TimelineManifests(storage)
    now = datetime.now(UTC)
    with world.database.session() as session:
        first = source.manifest(session=session, station_id=station, now=now)
        second = source.manifest(session=session, station_id=station, now=now)
    assert first is not None and second is not None
    assert all(a is b for a, b in zip(first.items, second.items, strict=True))
    alert = ManifestAlert(
        id="storm",
        status="Actual",
        starts=now,
        expires=now + timedelta(hours=1),
        sha256="ab" * 32,
        duration_s=12.0,
    )
    alert_file = ManifestFile(sha256="ab" * 32, size=1000, url=f"/agent/v1/files/{'ab' * 32}")
    held = StationAlerts(alerts=(alert,), files=(alert_file,), digest="d1")
    joined = with_alerts(first, held, plays_test_alerts=True, tag="d1t")
    assert joined.alerts == [alert] and joined.alerts[0] is alert
    assert [f.sha256 for f in joined.files] == sorted([audio.sha256, alert_file.sha256])
    assert all(a is b for a, b in zip(first.items, joined.items, strict=True))
    assert (joined.alerts_digest, joined.plays_test_alerts) == ("d1t", True)
    # What an agent reads is the same manifest.
    assert Manifest.model_validate_json(joined.model_dump_json(by_alias=True)) == joined


def test_a_replay_session_is_named_in_the_manifest_with_its_window(
    world: World, tmp_path: Path
) -> None:
    """The agent replays a cut bulletin only in a session that asks for it, and only before
    the session's end: the manifest gives both; a resume session is left out."""
    storage = LocalStorage(tmp_path / "content")
    audio = stored_audio(world, "A", storage, size=5000)
    replaying, resuming = make_session(world, "A"), make_session(world, "A")
    for session_id in (replaying, resuming):
        queue_into(world, session_id, audio.content_id)
    with world.database.session(write=True) as session:
        row = session.get(BroadcastSession, replaying)
        assert row is not None
        row.after_cut = "replay"
        session.add(row)
        session.commit()
    station = make_station(world, "A")
    keeper_for(world).tick()
    with world.database.session() as session:
        manifest = TimelineManifests(storage).manifest(
            session=session, station_id=station, now=datetime.now(UTC)
        )
    assert manifest is not None and manifest.replay_windows
    assert {w.session_id for w in manifest.replay_windows} == {replaying}
    windows = {(w.from_, w.to) for w in manifest.volume_plan}
    assert all((w.from_, w.to) in windows for w in manifest.replay_windows)
