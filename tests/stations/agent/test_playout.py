"""The engine joined to the agent's parts: the timeline follows the saved manifest (built once
per manifest), files play from the cache, and the heartbeat reports what plays."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stations.agent.alert_log import AlertLog
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock, OffsetEstimator
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.agent.playout import Playout
from tests.audio.fake_player import Call, FakePlayer
from tests.stations.agent.test_manifest_store import SHA, T0, _manifest


def _playout(
    tmp_path: Path, *, output_latency: timedelta = timedelta(0)
) -> tuple[Playout, ManifestStore, FakePlayer]:
    manifests = ManifestStore(tmp_path, station_id=7)
    cache = FileCache(tmp_path / "cache")
    player = FakePlayer()
    playout = Playout(
        player=player,
        manifests=manifests,
        cache=cache,
        outbox=Outbox(tmp_path / "outbox.sqlite3"),
        clock=CorrectedClock(OffsetEstimator(), threshold=timedelta(milliseconds=500)),
        alert_log=AlertLog(tmp_path),
        output_latency=output_latency,
    )
    return playout, manifests, player


def _silent_wav(path: Path) -> bytes:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(16000))
    return path.read_bytes()


def test_the_timeline_follows_the_saved_manifest_built_once_each(tmp_path: Path) -> None:
    playout, manifests, _ = _playout(tmp_path)
    assert playout.timeline(T0) is None  # nothing saved yet: silence
    manifests.accept(_manifest(1))
    first = playout.timeline(T0)
    assert first is not None and playout.timeline(T0) is first
    manifests.accept(_manifest(2))
    assert playout.timeline(T0) is not first


def test_the_heartbeat_reports_the_item_playing_from_the_cache(tmp_path: Path) -> None:
    playout, manifests, player = _playout(tmp_path)
    audio = _silent_wav(tmp_path / "a.wav")
    sha = hashlib.sha256(audio).hexdigest()
    manifests.accept(_manifest(1).replace(SHA.encode(), sha.encode()))
    cached = tmp_path / "cache" / sha
    cached.write_bytes(audio)
    playout.engine.step(T0 + timedelta(seconds=5))
    assert player.calls and player.calls[0].source == str(cached)
    now_playing = playout.now_playing()
    assert now_playing is not None
    assert (now_playing.item_id, now_playing.content_id, now_playing.title) == (
        "1@20261129T053000Z",
        1,
        "Bản tin",
    )
    assert playout.volume() == 80


def test_a_cancel_stops_the_playing_alert_at_once_and_the_schedule_resumes(
    tmp_path: Path,
) -> None:
    playout, manifests, player = _playout(tmp_path)
    bulletin = _silent_wav(tmp_path / "bulletin.wav")
    storm = _silent_wav(tmp_path / "storm.wav") + b"\0"  # other bytes, so another file
    cached: dict[str, Path] = {}
    for name, audio in (("bulletin", bulletin), ("storm", storm)):
        sha = hashlib.sha256(audio).hexdigest()
        cached[name] = tmp_path / "cache" / sha
        cached[name].write_bytes(audio)
    sha_of = {name: path.name for name, path in cached.items()}
    item = json.loads(_manifest(1))["items"][0]
    item |= {"sha256": sha_of["bulletin"], "duration_s": 600.0}
    alert = {
        "id": "storm",
        "status": "Actual",
        "starts": (T0 + timedelta(seconds=10)).isoformat(),
        "expires": (T0 + timedelta(hours=1)).isoformat(),
        "sha256": sha_of["storm"],
        "duration_s": 60.0,
        "volume": 100,
        "title": "Bão số 9",
    }
    files = [
        {"sha256": path.name, "size": path.stat().st_size, "url": f"/agent/v1/files/{path.name}"}
        for path in cached.values()
    ]
    manifests.accept(_manifest(1, items=[item], alerts=[alert], files=files))
    playout.engine.step(T0 + timedelta(seconds=5))
    playout.engine.step(T0 + timedelta(seconds=10))
    assert player.calls[-1] == Call(str(cached["storm"]), 0, 100)  # over the bulletin
    now_playing = playout.now_playing()
    assert now_playing is not None and now_playing.item_id == "alert:storm#1"
    playout.cancel("storm")
    playout.engine.step(T0 + timedelta(seconds=12))
    assert player.calls[-1] == Call(str(cached["bulletin"]), 12, 80)  # where the clock says
    records = [(r.item_id, r.result) for r in Outbox(tmp_path / "outbox.sqlite3").pending(10)]
    assert records == [("1@20261129T053000Z", "preempted"), ("alert:storm#1", "partial")]
    later = T0 + timedelta(seconds=13)
    assert playout.timeline(later) is playout.timeline(later)  # built once, without the alert


def test_with_an_output_latency_each_item_starts_that_much_early(tmp_path: Path) -> None:
    """The engine runs on the loudspeaker's time: with 10 s of (absurd) output latency, an
    item due in 5 s is already 5 s in."""
    playout, manifests, player = _playout(tmp_path, output_latency=timedelta(seconds=10))
    audio = _silent_wav(tmp_path / "a.wav")
    sha = hashlib.sha256(audio).hexdigest()
    (tmp_path / "cache" / sha).write_bytes(audio)
    body = json.loads(_manifest(1).replace(SHA.encode(), sha.encode()))
    start = datetime.now(UTC) + timedelta(seconds=5)
    body["items"][0]["start"] = start.isoformat()
    body["volume_plan"][0]["from"] = (start - timedelta(minutes=1)).isoformat()
    manifests.accept(json.dumps(body).encode())

    async def briefly() -> None:
        task = asyncio.create_task(playout.engine.run())
        await asyncio.sleep(0.3)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(briefly())
    assert player.calls, "nothing played: the item was not started early"
    assert 4.5 <= player.calls[0].offset_s <= 5.5
