"""The same contract for every Player: the fake the engine's unit tests use, VLC with its
`afile` output capturing what was played into a WAV file and on PulseAudio, and the
scheduled player on PulseAudio."""

from __future__ import annotations

import queue
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
import vlc

from audio.player import Player, PlayerEvent, PlayerState
from audio.scheduled_player import ScheduledPlayer
from audio.vlc_player import VlcPlayer
from benchmarks.playout_heard import null_sink
from tests.audio.compare import decode, lag_s
from tests.audio.fake_player import FakePlayer
from tests.audio.player_events import events_of
from tests.audio.sounds import noise, tone
from tests.e2e.processes import wait_for

EVENT_TIMEOUT_S = 15


@pytest.fixture(scope="module")
def pulse_sink() -> Iterator[str]:
    """A PulseAudio null sink: a paced output, where VLC's two players take turns."""
    with null_sink() as sink:
        yield sink


def _made(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Player:
    if kind == "fake":
        return FakePlayer()
    if kind == "vlc-pulse":
        request.getfixturevalue("pulse_sink")
        return VlcPlayer(output="pulse")
    if kind == "scheduled-pulse":
        request.getfixturevalue("pulse_sink")
        return ScheduledPlayer()
    return VlcPlayer(capture_dir=tmp_path / "out")


@pytest.fixture(params=["fake", "vlc", "vlc-pulse", "scheduled-pulse"])
def player(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Player]:
    made = _made(request.param, tmp_path, request)
    yield made
    made.close()


@pytest.fixture(params=["vlc", "vlc-pulse"])
def vlc_player(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VlcPlayer]:
    made = _made(request.param, tmp_path, request)
    assert isinstance(made, VlcPlayer)
    yield made
    made.close()


def _next(events: queue.Queue[PlayerEvent]) -> PlayerEvent:
    return events.get(timeout=EVENT_TIMEOUT_S)


def test_a_file_plays_then_ends(player: Player, tmp_path: Path) -> None:
    source = tone(tmp_path / "tone.wav", seconds=1.0, channels=1)
    events = events_of(player)
    player.play(str(source), volume=80)
    playing = _next(events)
    assert playing.state == PlayerState.playing and playing.source == str(source)
    ended = _next(events)
    assert ended.state == PlayerState.ended and ended.monotonic >= playing.monotonic
    assert player.state == PlayerState.ended


def test_a_missing_file_fails(player: Player, tmp_path: Path) -> None:
    events = events_of(player)
    player.play(str(tmp_path / "nothing-here.opus"))
    failed = _next(events)
    assert failed.state == PlayerState.failed and failed.error
    assert player.state == PlayerState.failed


def test_stop_goes_idle(player: Player, tmp_path: Path) -> None:
    source = tone(tmp_path / "tone.wav", seconds=5.0, channels=1)
    events = events_of(player)
    player.play(str(source))
    assert _next(events).state == PlayerState.playing
    player.stop()
    assert player.state == PlayerState.idle


def test_a_prepared_source_is_not_heard_of_until_it_is_played(
    player: Player, tmp_path: Path
) -> None:
    source = tone(tmp_path / "tone.wav", seconds=1.0, channels=1)
    events = events_of(player)
    player.prepare(str(source))
    with pytest.raises(queue.Empty):
        events.get(timeout=0.5)  # opening it paused says nothing
    assert player.state == PlayerState.idle
    player.play(str(source))
    playing = _next(events)
    assert (playing.state, playing.source) == (PlayerState.playing, str(source))
    assert _next(events).state == PlayerState.ended


def test_a_play_of_another_source_than_the_prepared_one_plays_that_one(
    player: Player, tmp_path: Path
) -> None:
    prepared = tone(tmp_path / "prepared.wav", seconds=1.0, channels=1)
    other = tone(tmp_path / "other.wav", seconds=1.0, channels=1, freq=880)
    events = events_of(player)
    player.prepare(str(prepared))
    player.play(str(other))
    seen = [_next(events), _next(events)]
    assert [(e.state, e.source) for e in seen] == [
        (PlayerState.playing, str(other)),
        (PlayerState.ended, str(other)),
    ]


def _playing_the_first_of_two(
    tmp_path: Path,
) -> tuple[VlcPlayer, queue.Queue[PlayerEvent], Path]:
    """VLC on PulseAudio playing a long tone; returns it, its events and a second tone."""
    first = tone(tmp_path / "first.wav", seconds=20.0, channels=1)
    second = tone(tmp_path / "second.wav", seconds=20.0, channels=1, freq=880)
    player = VlcPlayer(output="pulse")
    events = events_of(player)
    player.play(str(first))
    assert _next(events).source == str(first)
    return player, events, second


def test_on_a_real_output_a_prepared_source_waits_paused_on_the_idle_player(
    pulse_sink: str, tmp_path: Path
) -> None:
    player, events, second = _playing_the_first_of_two(tmp_path)
    player.prepare(str(second))
    idle = player._idle
    assert idle is not None
    wait_for(lambda: idle.get_state() == vlc.State.Paused, timeout=10, what="paused")
    player.play(str(second))
    seen = _next(events)
    assert (seen.state, seen.source) == (PlayerState.playing, str(second))
    assert player._player is idle  # un-paused, not opened again
    player.close()


def _seconds(wav: Path) -> float:
    with wave.open(str(wav)) as captured:
        return captured.getnframes() / captured.getframerate()


def test_vlc_captures_each_play_into_its_own_file_from_the_offset(tmp_path: Path) -> None:
    first = tone(tmp_path / "first.wav", seconds=3.0, channels=1)
    second = tone(tmp_path / "second.wav", seconds=2.0, channels=1, freq=880)
    player = VlcPlayer(capture_dir=tmp_path / "captured")
    events = events_of(player)
    player.play(str(first), offset_s=1.0)
    assert _next(events).state == PlayerState.playing
    assert _next(events).state == PlayerState.ended
    player.play(str(second))
    assert _next(events).state == PlayerState.playing
    assert _next(events).state == PlayerState.ended
    player.close()
    captured = sorted((tmp_path / "captured").iterdir())
    assert [path.name for path in captured] == ["0001-first.wav", "0002-second.wav"]
    assert _seconds(captured[0]) == pytest.approx(2.0, abs=0.15)  # three seconds, one skipped
    assert _seconds(captured[1]) == pytest.approx(2.0, abs=0.15)


def test_a_late_event_of_the_previous_source_does_not_touch_the_next(
    vlc_player: VlcPlayer, tmp_path: Path
) -> None:
    short = tone(tmp_path / "short.wav", seconds=0.3, channels=1)
    long = tone(tmp_path / "long.wav", seconds=20.0, channels=1)
    player = vlc_player
    events = events_of(player)
    player.play(str(short))
    player.play(str(long))
    seen = _next(events)
    while seen.source != str(long):
        seen = _next(events)
    assert seen.state == PlayerState.playing
    with pytest.raises(queue.Empty):
        events.get(timeout=1.0)  # neither the short one's end nor anything else
    assert player.state == PlayerState.playing


def test_on_a_real_output_the_next_source_starts_on_the_idle_player_and_the_other_stops(
    pulse_sink: str, tmp_path: Path
) -> None:
    player, events, second = _playing_the_first_of_two(tmp_path)
    playing_first = player._player
    player.play(str(second))
    seen = _next(events)
    assert (seen.state, seen.source) == (PlayerState.playing, str(second))
    assert player._player is not playing_first
    assert playing_first.get_state() in (vlc.State.Stopped, vlc.State.NothingSpecial)
    player.stop()
    assert player.state == PlayerState.idle
    assert player._player.get_state() in (vlc.State.Stopped, vlc.State.NothingSpecial)
    player.close()


@pytest.mark.parametrize(
    ("suffix", "lost_s"),
    # WebM (the cache's, VLC's own demuxer) plays from the first sample, the Opus priming
    # samples (6.5 ms) before it; Ogg (stored before, libavformat's demuxer) loses 13.5 ms.
    [(".webm", (-0.008, 0.001)), (".opus", (0.0, 0.015))],
)
def test_vlc_plays_opus_from_its_start_in_webm_and_in_ogg(
    tmp_path: Path, suffix: str, lost_s: tuple[float, float]
) -> None:
    source = noise(tmp_path / f"noise{suffix}", seconds=2.0, seed=5)
    player = VlcPlayer(capture_dir=tmp_path / "out")
    events = events_of(player)
    player.play(str(source))
    assert _next(events).state == PlayerState.playing
    assert _next(events).state == PlayerState.ended
    player.close()
    (captured,) = (tmp_path / "out").glob("*.wav")
    lost = lag_s(decode(source), decode(captured))
    assert lost_s[0] <= lost <= lost_s[1]


def test_a_new_player_goes_on_numbering_the_captures(tmp_path: Path) -> None:
    captured = tmp_path / "captured"
    captured.mkdir()
    (captured / "0007-earlier.wav").write_bytes(b"")
    source = tone(tmp_path / "tone.wav", seconds=0.5, channels=1)
    player = VlcPlayer(capture_dir=captured)
    events = events_of(player)
    player.play(str(source))
    assert _next(events).state == PlayerState.playing
    assert _next(events).state == PlayerState.ended  # VLC has written it by then
    player.close()
    assert sorted(p.name for p in captured.iterdir()) == ["0007-earlier.wav", "0008-tone.wav"]


def test_vlc_plugin_directory_is_found_beside_the_loaded_libvlccore() -> None:
    from audio.vlc_player import plugin_cache

    plugins, cache = plugin_cache()
    assert plugins is not None and plugins.is_dir() and any(plugins.rglob("*_plugin.so"))
    assert cache is None or cache == plugins / "plugins.dat"


def test_capturing_holds_one_libvlc_instance_and_never_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first instance goes at the first capture, and each capture's instance only once
    the next one is made: one held while playing, never none (VLC's plugins stay loaded)."""
    import audio.vlc_player as module

    alive: list[object] = []
    least_after_first: list[int] = []
    make, release = module._instance, module._release

    def made(options: list[str]) -> object:
        instance = make(options)
        alive.append(instance)
        return instance

    def released(instance: object, player: object) -> None:
        release(instance, player)
        alive.remove(instance)
        least_after_first.append(len(alive))

    monkeypatch.setattr(module, "_instance", made)
    monkeypatch.setattr(module, "_release", released)
    source = tone(tmp_path / "tone.wav", seconds=0.5, channels=1)
    player = VlcPlayer(capture_dir=tmp_path / "captured")
    events = events_of(player)
    for _ in range(3):
        player.play(str(source))
        assert _next(events).state == PlayerState.playing
        assert len(alive) == 1
        assert _next(events).state == PlayerState.ended
    assert least_after_first == [1, 1, 1]
    player.close()
    assert alive == []
    assert len(list((tmp_path / "captured").iterdir())) == 3
