"""Alerts in the agent's playout, with the fake player and an injected `now`: an alert is
timed from when its files are ready (heard from its first word, however late the push came),
keeps its place across a restart, never starts after it expires, and is acknowledged as
received, started and finished exactly once each."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from stations.agent.alert_log import AlertLog
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock, OffsetEstimator
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.agent.playout import Playout
from stations.protocol import AckEvent, ManifestAlert, ManifestFile
from tests.audio.fake_player import Call, FakePlayer
from tests.stations.agent.test_manifest_store import T0, _manifest
from tests.stations.agent.test_playout import _silent_wav


class Station:
    """One agent's playout parts on disk, which a second instance finds after a restart."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.acks: list[AckEvent] = []
        self.player = FakePlayer()
        self.log = AlertLog(root, acknowledge=self.acks.append)
        self.manifests = ManifestStore(root, station_id=7)
        self.cache = FileCache(root / "cache")
        self.playout = Playout(
            player=self.player,
            manifests=self.manifests,
            cache=self.cache,
            outbox=Outbox(root / "outbox.sqlite3"),
            clock=CorrectedClock(OffsetEstimator(), threshold=timedelta(milliseconds=500)),
            alert_log=self.log,
        )

    def cache_file(self, data: bytes) -> ManifestFile:
        sha = hashlib.sha256(data).hexdigest()
        (self.root / "cache").mkdir(exist_ok=True)
        (self.root / "cache" / sha).write_bytes(data)
        return ManifestFile(sha256=sha, size=len(data), url=f"/agent/v1/files/{sha}")

    def stages(self) -> list[tuple[str, str]]:
        return [(ack.alert_id, ack.stage) for ack in self.acks]


def _storm(sha: str, starts: datetime, **changes: object) -> ManifestAlert:
    return ManifestAlert.model_validate(
        {
            "id": "storm",
            "status": "Actual",
            "starts": starts,
            "expires": starts + timedelta(hours=1),
            "sha256": sha,
            "duration_s": 20.0,
            "title": "Bão số 9",
        }
        | changes
    )


def _quiet_manifest(station: Station) -> None:
    station.manifests.accept(_manifest(1, items=[], files=[], volume_plan=[]))


def test_a_pushed_alert_waits_for_its_file_then_plays_from_the_top(tmp_path: Path) -> None:
    station = Station(tmp_path)
    _quiet_manifest(station)
    audio = _silent_wav(tmp_path / "storm.wav")
    sha = hashlib.sha256(audio).hexdigest()
    issued = T0 + timedelta(seconds=10)
    station.log.received(_storm(sha, issued), issued + timedelta(milliseconds=40), pushed=True)
    assert station.stages() == [("storm", "received")]

    station.playout.engine.step(issued + timedelta(milliseconds=50))
    assert station.player.calls == [], "its file is not here yet"
    # the download takes 0.4 s: the alert starts then, from its first word
    station.cache_file(audio)
    ready = issued + timedelta(milliseconds=450)
    station.playout.engine.step(ready)
    assert station.player.calls == [Call(str(station.cache.path(sha)), 0, 100)]
    assert station.stages() == [("storm", "received"), ("storm", "started")]

    station.playout.engine.step(ready + timedelta(seconds=20))
    assert station.stages()[-1] == ("storm", "finished")
    records = [(r.item_id, r.result) for r in Outbox(tmp_path / "outbox.sqlite3").pending(10)]
    assert records == [("alert:storm#1", "played")], "no skip while the file was coming"


def test_a_restart_keeps_the_alerts_place_and_sends_no_ack_twice(tmp_path: Path) -> None:
    first = Station(tmp_path)
    audio = _silent_wav(tmp_path / "storm.wav")
    file = first.cache_file(audio)
    alert = _storm(file.sha256, T0 + timedelta(seconds=10))
    first.manifests.accept(
        _manifest(
            1,
            items=[],
            volume_plan=[],
            files=[file.model_dump()],
            alerts=[json.loads(alert.model_dump_json())],
        )
    )
    first.log.received(alert, T0 + timedelta(seconds=11))
    first.playout.engine.step(T0 + timedelta(seconds=11))
    assert first.player.calls[-1].offset_s == 0

    second = Station(tmp_path)  # the agent restarted 5 s into the alert
    second.playout.engine.step(T0 + timedelta(seconds=16))
    [call] = second.player.calls
    assert abs(call.offset_s - 5.0) < 1e-6, "it goes on where it was, not from the top"
    assert second.acks == []
    assert [(a.alert_id, a.stage) for a in second.log.acks()] == [
        ("storm", "received"),
        ("storm", "started"),
    ]


def test_an_alert_ready_only_after_it_expired_never_plays(tmp_path: Path) -> None:
    station = Station(tmp_path)
    _quiet_manifest(station)
    audio = _silent_wav(tmp_path / "storm.wav")
    file = station.cache_file(audio)
    starts = T0 - timedelta(hours=2)
    station.log.received(_storm(file.sha256, starts), T0, pushed=True)
    station.playout.engine.step(T0)
    assert station.player.calls == []
    assert station.stages() == [("storm", "received")]


def test_a_cancelled_alert_stays_cancelled_after_a_restart(tmp_path: Path) -> None:
    first = Station(tmp_path)
    _quiet_manifest(first)
    file = first.cache_file(_silent_wav(tmp_path / "storm.wav"))
    first.log.received(_storm(file.sha256, T0), T0, pushed=True)
    first.playout.engine.step(T0)
    assert first.player.calls
    first.playout.cancel("storm")
    first.playout.engine.step(T0 + timedelta(seconds=2))
    assert first.playout.engine.playing is None
    second = Station(tmp_path)
    second.playout.engine.step(T0 + timedelta(seconds=3))
    assert second.player.calls == []


def test_a_pushed_alert_a_later_manifest_no_longer_lists_stops(tmp_path: Path) -> None:
    """Its Cancel was pushed while the agent was offline: the manifest says it ended."""
    station = Station(tmp_path)
    _quiet_manifest(station)
    file = station.cache_file(_silent_wav(tmp_path / "storm.wav"))
    station.log.received(_storm(file.sha256, T0), T0, pushed=True)
    station.playout.engine.step(T0)
    assert station.playout.engine.playing is not None
    station.log.withdraw_unlisted(set(), before=T0 - timedelta(seconds=1))
    assert station.log.pushed(), "a manifest older than the push says nothing of it"
    station.log.withdraw_unlisted(set(), before=T0 + timedelta(seconds=3))
    station.playout.engine.step(T0 + timedelta(seconds=4))
    assert station.playout.engine.playing is None


def test_an_alert_waits_for_its_audio_too_then_plays_chime_and_audio_back_to_back(
    tmp_path: Path,
) -> None:
    """The chime is cached long before; starting on it alone could leave silence (or a cut
    message) after it if the audio were still downloading."""
    station = Station(tmp_path)
    _quiet_manifest(station)
    chime = station.cache_file(_silent_wav(tmp_path / "chime.wav"))
    audio = _silent_wav(tmp_path / "storm.wav") + b"\0"
    sha = hashlib.sha256(audio).hexdigest()
    alert = _storm(sha, T0, chime_sha256=chime.sha256, chime_duration_s=2.0)
    station.log.received(alert, T0 + timedelta(milliseconds=30), pushed=True)
    station.playout.engine.step(T0 + timedelta(milliseconds=40))
    assert station.player.calls == []
    station.cache_file(audio)
    ready = T0 + timedelta(milliseconds=300)
    station.playout.engine.step(ready)
    assert station.player.calls == [Call(str(station.cache.path(chime.sha256)), 0, 100)]
    assert station.stages() == [("storm", "received"), ("storm", "started")]
    station.playout.engine.step(ready + timedelta(seconds=2))
    assert station.player.calls[-1] == Call(str(station.cache.path(sha)), 0, 100)
