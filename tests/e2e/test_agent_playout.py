"""A real server and a real agent playing with VLC, its `afile` output capturing each item
into a WAV file: approved audio queued into a session a few seconds ahead is played on time,
sounds like the stored file, and is reported exactly once; an agent killed mid-item rejoins
it part-way, and the records say so."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from audio.probe import probe
from playlists.content.storage import LocalStorage
from stations.fleet.models import AsRun
from tests.audio.compare import correlation, decode, seconds
from tests.audio.sounds import noise
from tests.e2e.agent_site import FAST, saved_version
from tests.e2e.processes import Agent, Server, wait_for
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import queue_into
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import StoredAudio, stored_sound
from tests.world import World

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the test areas' time zone
# The session starts this far ahead: the build, the push and the download fit well in it.
LEAD = timedelta(seconds=6)


@dataclass
class Stage:
    """Commune A with one station, the real server, and where the agent captures."""

    world: World
    server: Server
    storage: LocalStorage
    station_id: int
    tmp: Path

    @property
    def capture(self) -> Path:
        return self.tmp / "played"

    def store(self, name: str, *, seconds: float, seed: int) -> StoredAudio:
        sound = noise(self.tmp / f"{name}.opus", seconds=seconds, seed=seed)
        return stored_sound(self.world, "A", self.storage, sound)

    def schedule(self, *sounds: StoredAudio) -> datetime:
        """A session starting LEAD from now (local time, whole seconds) with `sounds` queued
        one after another; returns its start."""
        start = (datetime.now(ZONE) + LEAD).replace(microsecond=0)
        session_id = make_session(self.world, "A", start=start.time(), minutes=1)
        for order, sound in enumerate(sounds):
            queue_into(self.world, session_id, sound.content_id, order=order)
        return start.astimezone(UTC)

    def agent(self) -> Agent:
        """The station's agent, enrolled, playing into the capture directory."""
        code = enrollment_code(self.world, self.station_id)
        agent = self.restarted(self.tmp / "pi", "--enroll", code)
        wait_for(
            lambda: saved_version(agent.data_dir) is not None,
            timeout=30,
            what="the agent's first manifest",
            log=agent.log,
        )
        return agent

    def restarted(self, data_dir: Path, *options: str) -> Agent:
        args = (*options, "--capture-dir", str(self.capture), *FAST)
        return Agent(self.server.url, data_dir, self.tmp, *args).start()

    def records(self) -> list[AsRun]:
        with self.world.database.session() as session:
            query = select(AsRun).where(AsRun.station_id == self.station_id)
            return sorted(session.exec(query).all(), key=lambda r: (r.occurred_at, r.item_id))

    def stored(self, sound: StoredAudio) -> Path:
        return self.storage.path(sound.sha256)


@pytest.fixture
def stage(world: World, database_url: str, tmp_path: Path) -> Iterator[Stage]:
    data = tmp_path / "data"
    storage = LocalStorage(data / "content")
    station = make_station(world, "A")
    server = Server(database_url, data, tmp_path).start()
    try:
        yield Stage(world, server, storage, station, tmp_path)
    finally:
        server.stop()


def open_records(agent: Agent) -> int:
    with sqlite3.connect(agent.data_dir / "outbox.sqlite3") as db:
        (count,) = db.execute("SELECT count(*) FROM record WHERE open = 1").fetchone()
        return int(count)


def outbox_empty(agent: Agent) -> bool:
    with sqlite3.connect(agent.data_dir / "outbox.sqlite3") as db:
        return db.execute("SELECT count(*) FROM record").fetchone() == (0,)


def test_audio_queued_a_few_seconds_ahead_plays_on_time_sounds_right_and_is_reported_once(
    stage: Stage,
) -> None:
    jingle = stage.store("jingle", seconds=2.5, seed=11)
    bulletin = stage.store("bulletin", seconds=4.0, seed=12)
    agent = stage.agent()
    try:
        start = stage.schedule(jingle, bulletin)
        wait_for(
            lambda: len(stage.records()) >= 2 and outbox_empty(agent),
            timeout=LEAD.total_seconds() + 6.5 + 30,
            what="both items played and reported",
            log=agent.log,
        )
    finally:
        agent.stop()
    records = stage.records()
    assert [(r.content_id, r.result) for r in records] == [
        (jingle.content_id, "played"),
        (bulletin.content_id, "played"),
    ], [r.error for r in records]
    assert len({r.item_id for r in records}) == 2  # one record per item: exactly once
    first, second = records
    assert first.planned_start == start
    jingle_s = probe(stage.stored(jingle)).duration_s or 0.0
    assert second.planned_start == start + timedelta(seconds=jingle_s)  # soft: right after
    captures = sorted(stage.capture.iterdir())
    assert [c.name for c in captures] == [
        f"0001-{jingle.sha256}.wav",
        f"0002-{bulletin.sha256}.wav",
    ]
    for captured, sound in zip(captures, (jingle, bulletin), strict=True):
        stored = stage.stored(sound)
        assert seconds(captured) == pytest.approx(seconds(stored), rel=0.02)
        assert correlation(decode(captured), decode(stored)) > 0.9


def test_an_agent_killed_mid_item_rejoins_it_part_way_and_the_records_say_so(
    stage: Stage,
) -> None:
    bulletin = stage.store("long", seconds=12.0, seed=21)
    agent = stage.agent()
    start = stage.schedule(bulletin)
    wait_for(
        lambda: open_records(agent) and any(stage.capture.glob("0001-*.wav")),
        timeout=30,
        what="the item started and VLC writing it",
        log=agent.log,
    )
    # Killed 2.5 s into the bulletin: its record must say about 2.5 s aired, not 0.
    wait_for(
        lambda: datetime.now(UTC) >= start + timedelta(seconds=2.5),
        timeout=15,
        what="2.5 s of the bulletin aired",
        log=agent.log,
    )
    agent.kill()
    killed_at = datetime.now(UTC)
    again = stage.restarted(agent.data_dir)
    try:
        wait_for(
            lambda: len(stage.records()) >= 2 and outbox_empty(again),
            timeout=12 + 30,
            what="both parts reported",
            log=again.log,
        )
    finally:
        again.stop()
    interrupted, rejoined = stage.records()
    assert interrupted.item_id == rejoined.item_id and interrupted.planned_start == start
    assert interrupted.result == "partial" and "interrupted" in (interrupted.error or "")
    assert interrupted.started_at is not None and interrupted.ended_at is not None
    aired = interrupted.ended_at - interrupted.started_at
    assert abs(aired - (killed_at - interrupted.started_at)) <= timedelta(seconds=2)
    assert rejoined.result == "partial" and rejoined.error == "joined part-way"
    assert rejoined.started_at is not None and rejoined.started_at > killed_at
    assert rejoined.ended_at is not None and rejoined.ended_at >= start + timedelta(seconds=12)
    # What the second run played is the rest of the item, from where the clock said.
    offset = (rejoined.started_at - start).total_seconds()
    rest = sorted(stage.capture.iterdir())[-1]
    assert rest.name == f"0002-{bulletin.sha256}.wav"
    stored = stage.stored(bulletin)
    assert seconds(rest) == pytest.approx(seconds(stored) - offset, abs=0.25)
    assert correlation(decode(rest), decode(stored, offset_s=offset)) > 0.9
