"""Broadcast now orders in the agent's playout (the priority layer), with the fake player and
an injected `now`: a play order pre-empts the schedule and the schedule resumes by the clock;
an emergency pre-empts the order; a stop silences the schedule and ends the plays begun
before it for good; a layer about to take over holds the air while its file is fetched."""

from __future__ import annotations

import hashlib
import json
import wave
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from audio.player import PlayerState
from stations.agent.outbox import Outbox
from stations.protocol import ManifestAlert, ManifestFile
from tests.audio.fake_player import Call
from tests.stations.agent.test_manifest_store import T0, _manifest
from tests.stations.agent.test_playout import _silent_wav
from tests.stations.agent.test_playout_alerts import Station

SECOND = timedelta(seconds=1)


def _on_air(station: Station, *alerts: ManifestAlert) -> tuple[str, ManifestFile]:
    """A manifest with one 60 s bulletin from T0 (its file cached) and `alerts` listed."""
    bulletin = station.cache_file(_silent_wav(station.root / "bulletin.wav"))
    item = {
        "id": "bulletin",
        "kind": "file",
        "content_id": 1,
        "sha256": bulletin.sha256,
        "url": bulletin.url,
        "start": T0.isoformat(),
        "duration_s": 60.0,
        "timing": "soft",
        "tier": "normal",
        "volume": 80,
        "title": "Bản tin",
    }
    files = [bulletin.model_dump()] + [
        {"sha256": a.sha256, "size": 1, "url": f"/agent/v1/files/{a.sha256}"}
        for a in alerts
        if a.sha256
    ]
    station.manifests.accept(
        _manifest(
            1,
            items=[item],
            files=files,
            alerts=[json.loads(a.model_dump_json()) for a in alerts],
        )
    )
    return str(station.cache.path(bulletin.sha256)), bulletin


def _order(identifier: str, starts: datetime, sha: str | None, **changes: Any) -> ManifestAlert:
    return ManifestAlert.model_validate(
        {
            "id": identifier,
            "status": "Actual",
            "starts": starts,
            "expires": starts + timedelta(seconds=20),
            "sha256": sha,
            "duration_s": 20.0 if sha else 0.0,
            "volume": 70,
            "title": "Thông báo",
            "layer": "priority",
            "action": "play" if sha else "stop",
        }
        | changes
    )


def _records(station: Station) -> list[tuple[str | None, str]]:
    return [(r.item_id, r.result) for r in Outbox(station.root / "outbox.sqlite3").pending(50)]


def _wav(path: Path) -> bytes:
    """One second of silence whose bytes (its name in the last frame) no other file has."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(15_900) + path.name.encode().ljust(100, b"\0"))
    return path.read_bytes()


def _audio(station: Station, name: str) -> str:
    return station.cache_file(_wav(station.root / name)).sha256


def test_a_play_order_preempts_the_schedule_which_resumes_by_the_clock(tmp_path: Path) -> None:
    station = Station(tmp_path)
    sha = _audio(station, "order.wav")
    order = _order("order-1", T0 + 10 * SECOND, sha)
    bulletin, _ = _on_air(station, order)
    engine = station.playout.engine
    engine.step(T0)
    station.log.received(order, T0 + 10 * SECOND)
    engine.step(T0 + 10 * SECOND)
    engine.step(T0 + 30 * SECOND)
    assert station.player.calls == [
        Call(bulletin, 0, 80),
        Call(str(station.cache.path(sha)), 0, 70),  # the order's own volume
        Call(bulletin, 30.0, 80),  # where the clock says, not from the top
    ]
    assert _records(station) == [
        ("bulletin", "preempted"),
        ("order:order-1#1", "played"),
    ]
    assert station.stages() == [
        ("order-1", "received"),
        ("order-1", "started"),
        ("order-1", "finished"),
    ]


def test_an_emergency_preempts_a_play_order_which_then_goes_on(tmp_path: Path) -> None:
    station = Station(tmp_path)
    order_sha, storm_sha = _audio(station, "order.wav"), _audio(station, "storm.wav")
    order = _order("order-1", T0, order_sha, duration_s=30.0, expires=T0 + 31 * SECOND)
    storm = ManifestAlert(
        id="storm",
        status="Actual",
        starts=T0 + 5 * SECOND,
        expires=T0 + 60 * SECOND,
        sha256=storm_sha,
        duration_s=10.0,
    )
    _on_air(station, order, storm)
    station.log.received(order, T0)
    station.log.received(storm, T0 + 5 * SECOND)
    engine = station.playout.engine
    for at in (0, 5, 15):
        engine.step(T0 + at * SECOND)
    order_file, storm_file = str(station.cache.path(order_sha)), str(station.cache.path(storm_sha))
    assert station.player.calls == [
        Call(order_file, 0, 70),
        Call(storm_file, 0, 100),
        Call(order_file, 15.0, 70),
    ]
    assert _records(station)[:2] == [("order:order-1#1", "preempted"), ("alert:storm#1", "played")]


def test_a_stop_silences_the_schedule_and_ends_earlier_plays_for_good(tmp_path: Path) -> None:
    station = Station(tmp_path)
    sha = _audio(station, "order.wav")
    play = _order("order-1", T0 + 5 * SECOND, sha, duration_s=40.0, expires=T0 + 46 * SECOND)
    stop = _order("order-2", T0 + 10 * SECOND, None, expires=T0 + 70 * SECOND)
    bulletin, _ = _on_air(station, play, stop)
    station.log.received(play, T0 + 5 * SECOND)
    station.log.received(stop, T0 + 10 * SECOND)
    engine = station.playout.engine
    engine.step(T0)
    engine.step(T0 + 5 * SECOND)
    engine.step(T0 + 10 * SECOND)
    assert station.player.state == PlayerState.idle, "silence"
    assert len(station.player.calls) == 2, "nothing plays under the stop"
    assert station.playout.now_playing() is not None  # the board shows the stop
    # Lifted at 20 s: the schedule takes the air back; the play it ended stays ended.
    station.playout.cancel("order-2")
    engine.step(T0 + 20 * SECOND)
    assert station.player.calls[-1] == Call(bulletin, 20.0, 80)
    assert _records(station) == [
        ("bulletin", "preempted"),
        ("order:order-1#1", "partial"),
        ("order:order-2#1:stop", "partial"),
    ]
    assert ("order-2", "started") in station.stages()


def test_the_layer_taking_over_holds_the_air_while_its_file_comes(tmp_path: Path) -> None:
    """An Update replacing a playing alert stops the old one at once; until the Update's
    file is verified the bulletin below must not start again."""
    station = Station(tmp_path)
    old_sha = _audio(station, "old.wav")
    old = ManifestAlert(
        id="old",
        status="Actual",
        starts=T0 + 5 * SECOND,
        expires=T0 + 60 * SECOND,
        sha256=old_sha,
        duration_s=20.0,
    )
    _on_air(station, old)
    station.log.received(old, T0 + 5 * SECOND)
    engine = station.playout.engine
    engine.step(T0)
    engine.step(T0 + 5 * SECOND)
    new_audio = _wav(tmp_path / "new.wav")
    new_sha = hashlib.sha256(new_audio).hexdigest()
    update = old.model_copy(update={"id": "new", "sha256": new_sha, "replaces": ["old"]})
    pushed = T0 + 8 * SECOND
    station.log.received(update, pushed, pushed=True)
    station.playout.cancel("old")
    engine.step(pushed + timedelta(milliseconds=40))
    assert len(station.player.calls) == 2, "the bulletin did not start again"
    assert station.player.state == PlayerState.idle
    station.cache_file(new_audio)
    engine.step(pushed + timedelta(milliseconds=90))
    assert station.player.calls[-1] == Call(str(station.cache.path(new_sha)), 0, 100)
    results = _records(station)
    assert results.count(("bulletin", "preempted")) == 1, "pre-empted once, not twice"
    assert all(not (item or "").startswith("hold:") for item, _ in results)


def test_a_hold_gives_the_air_back_if_the_file_takes_too_long(tmp_path: Path) -> None:
    station = Station(tmp_path)
    late = _order("order-9", T0 + 5 * SECOND, "ab" * 32, expires=T0 + 300 * SECOND)
    bulletin, _ = _on_air(station, late)
    station.log.received(late, T0 + 5 * SECOND)
    engine = station.playout.engine
    engine.step(T0 + 6 * SECOND)
    assert station.player.calls == [], "held"
    engine.step(T0 + 26 * SECOND)
    assert station.player.calls == [Call(bulletin, 26.0, 80)]


def _replay_manifest(station: Station, storm: ManifestAlert, *, window_s: float) -> list[str]:
    """Two bulletins of a replay session (0–60 s and 60–70 s) and the storm listed."""
    paths, items, files = [], [], []
    for name, start, seconds in (("first", 0, 60.0), ("second", 60, 10.0)):
        file = station.cache_file(_wav(station.root / f"{name}.wav"))
        paths.append(str(station.cache.path(file.sha256)))
        files.append(file.model_dump())
        items.append(
            {
                "id": name,
                "kind": "file",
                "content_id": 1,
                "sha256": file.sha256,
                "url": file.url,
                "start": (T0 + start * SECOND).isoformat(),
                "duration_s": seconds,
                "timing": "soft",
                "tier": "normal",
                "volume": 80,
                "title": name,
                "session_id": 1,
            }
        )
    files.append({"sha256": storm.sha256, "size": 1, "url": f"/agent/v1/files/{storm.sha256}"})
    window = {"session_id": 1, "from": T0.isoformat(), "to": (T0 + window_s * SECOND).isoformat()}
    station.manifests.accept(
        _manifest(
            1,
            items=items,
            files=files,
            alerts=[json.loads(storm.model_dump_json())],
            replay_windows=[window],
        )
    )
    return paths


def _storm_at(station: Station, seconds: float) -> ManifestAlert:
    sha = _audio(station, "storm.wav")
    return ManifestAlert(
        id="storm",
        status="Actual",
        starts=T0 + seconds * SECOND,
        expires=T0 + 600 * SECOND,
        sha256=sha,
        duration_s=10.0,
    )


def test_in_a_replay_session_a_cut_bulletin_plays_again_whole_after_the_last_item(
    tmp_path: Path,
) -> None:
    station = Station(tmp_path)
    storm = _storm_at(station, 10)
    first, second = _replay_manifest(station, storm, window_s=300)
    station.log.received(storm, T0 + 10 * SECOND)
    engine = station.playout.engine
    for at in (0, 10, 20, 60, 70):
        engine.step(T0 + at * SECOND)
    assert [(c.source, c.offset_s) for c in station.player.calls] == [
        (first, 0),
        (str(station.cache.path(storm.sha256 or "")), 0),
        (second, 0),  # at 20 s the rest of the cut slot was silence, not the bulletin
        (first, 0),  # again, from the top, after the session's last item
    ]
    assert _records(station) == [
        ("first", "preempted"),
        ("alert:storm#1", "played"),
        ("second", "played"),
    ]
    engine.step(T0 + 130 * SECOND)
    assert _records(station)[-1] == ("first:replay", "played")


def test_a_cut_bulletin_the_session_has_no_room_to_replay_is_reported(tmp_path: Path) -> None:
    station = Station(tmp_path)
    storm = _storm_at(station, 10)
    _replay_manifest(station, storm, window_s=100)  # 70 s + 60 s would pass 100 s
    station.log.received(storm, T0 + 10 * SECOND)
    engine = station.playout.engine
    for at in (0, 10, 20, 21):
        engine.step(T0 + at * SECOND)
    skipped = [r for r in _records(station) if r[1] == "skipped"]
    assert skipped == [("first:replay", "skipped")], "said once"


def test_a_stop_during_an_emergency_leaves_the_emergency_playing(tmp_path: Path) -> None:
    station = Station(tmp_path)
    storm = _storm_at(station, 5)
    stop = _order("order-stop", T0 + 8 * SECOND, None, expires=T0 + 40 * SECOND)
    bulletin, _ = _on_air(station, storm, stop)
    station.log.received(storm, T0 + 5 * SECOND)
    engine = station.playout.engine
    engine.step(T0)
    engine.step(T0 + 5 * SECOND)
    station.log.received(stop, T0 + 8 * SECOND)
    engine.step(T0 + 8 * SECOND)
    storm_file = str(station.cache.path(storm.sha256 or ""))
    assert station.player.calls[-1] == Call(storm_file, 0, 100), "the emergency plays on"
    assert station.player.state != PlayerState.idle
    engine.step(T0 + 15 * SECOND)  # the emergency over: the stop holds the air
    assert station.player.state == PlayerState.idle
    engine.step(T0 + 40 * SECOND)  # the stop over: the schedule where the clock says
    assert station.player.calls[-1] == Call(bulletin, 40.0, 80)
    assert [r for r in _records(station) if r[0] and r[0].startswith("alert:")] == [
        ("alert:storm#1", "played")
    ]
