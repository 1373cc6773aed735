"""The Player on libvlc (python-vlc). The output is the sound card by default; tests and the
demo without one use VLC's `afile` output, which writes what is played into WAV files.

`afile` truncates its file each time playback starts, so in capture mode every play gets its
own libvlc instance writing `NNNN-<source name>.wav` in the capture directory: one file per
thing played, in order. A first instance, made at once, holds VLC's plugins loaded, so each
later one costs about a millisecond; each capture instance is made before the one before it
is released, so the plugins stay loaded, and the first instance is released once a capture
instance holds them (one instance fewer, about 2 MB resident, while the agent plays).

On a real output two media players take turns: the next source starts on the idle one
and the one playing is stopped after, because switching one player's media first stops
it (VLC joins its input thread and closes the audio stream), which delayed each start
heard on a paced output by 30-60 ms (benchmarks/playout.py --aout pulse). The engine
names the source likely to play next (`prepare`): the idle player opens it paused, with
its audio stream, and `play` of that source only un-pauses it (measured with
`benchmarks.playout --aout pulse`, against `--no-prepare`: VLC's Playing event 4 ms after
the call instead of 0.4 ms, and a few ms off the start heard).

VLC's `afile` and `dummy` outputs are not paced (they run faster than real time), so the
engine keeps time by its own clock; VLC's events say only that playback began or stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import vlc

from audio.container import OGG_MIME, audio_mime
from audio.player import PlayerEvent, PlayerListener, PlayerState, notify

log = logging.getLogger(__name__)

UNPLAYABLE = "VLC could not play the source"
OPENING_OR_PAUSED = (vlc.State.Opening, vlc.State.Buffering, vlc.State.Paused)
BASE_OPTIONS = ("--no-video", "--intf=dummy", "--quiet", "--no-stats", "--no-media-library")


def vlc_options(*, output: str | None = None, wav: Path | None = None) -> list[str]:
    """libvlc options: no video, no interface; `wav` captures the audio into that file."""
    options = list(BASE_OPTIONS)
    if wav is not None:
        options += ["--aout=afile", f"--audiofile-file={wav}", "--audiofile-format=s16"]
    elif output is not None:
        options.append(f"--aout={output}")
    return options


def has_sound_card(root: Path = Path("/dev/snd")) -> bool:
    """Whether ALSA has a playback device here (a Pi's jack or HDMI; none on a server)."""
    try:
        return any(dev.name.startswith("pcm") and dev.name.endswith("p") for dev in root.iterdir())
    except OSError:
        return False


def capture_name(sequence: int, source: str) -> str:
    stem = Path(source.split("?", 1)[0]).stem or "stream"
    return f"{sequence:04d}-{stem[:64]}.wav"


def last_capture_number(capture_dir: Path) -> int:
    numbers = [
        int(path.name[:4])
        for path in capture_dir.glob("[0-9][0-9][0-9][0-9]-*.wav")
        if path.name[:4].isdigit()
    ]
    return max(numbers, default=0)


def is_ogg_file(source: str) -> bool:
    """Whether a local file is an Ogg one (stored before the cache moved to WebM)."""
    if "://" in source:
        return False
    try:
        return audio_mime(Path(source)) == OGG_MIME
    except OSError:
        return False  # VLC says it cannot play it


class VlcPlayer:
    ahead_s = 0.0  # VLC starts each source as soon as it can

    def __init__(self, *, output: str | None = None, capture_dir: Path | None = None) -> None:
        self._capture_dir = capture_dir
        if capture_dir is not None:
            capture_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._listeners: list[PlayerListener] = []
        self._state = PlayerState.idle
        self._source = ""
        self._generation = 0
        # After a restart, go on numbering: what the last run captured stays.
        self._captured = last_capture_number(capture_dir) if capture_dir else 0
        base = _instance(vlc_options(output=output))
        first_turn = _Turn(None if capture_dir is not None else 0)
        base_player = self._new_player(base, first_turn)
        # The first instance and its player: in capture mode, released at the first play.
        self._base: tuple[vlc.Instance, vlc.MediaPlayer] | None = (base, base_player)
        self._instance: vlc.Instance = base
        self._player: vlc.MediaPlayer = base_player
        self._turn = first_turn
        # On a real output, the player that takes the next source while this one plays.
        self._idle: vlc.MediaPlayer | None = None
        # No generation is ever -1: what it opens before the first play counts for nothing.
        self._idle_turn = _Turn(-1)
        if capture_dir is None:
            self._idle = self._new_player(base, self._idle_turn)
        self._prepared: str | None = None  # what the idle player holds paused, if anything

    def subscribe(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def play(self, source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        with self._lock:
            self._generation += 1
            self._source = source
            self._state = PlayerState.idle
        if self._capture_dir is not None:
            self._switch_capture_file(source)
        ready = offset_s == 0 and self._is_prepared(source)
        self._prepared = None
        previous = self._take_turn()
        if ready:
            self._player.audio_set_volume(volume)
            self._player.set_pause(0)
        else:
            self._player.set_media(self._media(source, offset_s))
            self._player.audio_set_volume(volume)
            if self._player.play() == -1:
                self._emit(self._generation, PlayerState.failed, "libvlc refused to play")
            else:
                self._player.audio_set_volume(volume)
        if previous is not None:
            previous.stop()

    def prepare(self, source: str) -> None:
        """On a real output, open `source` paused on the idle player (its own events count
        for nothing until `play` takes it); a no-op in capture mode."""
        if self._idle is None or (
            self._prepared == source and self._idle.get_state() in OPENING_OR_PAUSED
        ):
            return
        media = self._media(source, 0.0)
        media.add_option("start-paused")
        self._idle.set_media(media)
        self._prepared = source if self._idle.play() != -1 else None

    def _is_prepared(self, source: str) -> bool:
        # A file that could not be opened leaves the player ended, not paused: play it
        # the usual way, which reports the failure.
        return (
            self._idle is not None
            and self._prepared == source
            and self._idle.get_state() == vlc.State.Paused
        )

    def _media(self, source: str, offset_s: float) -> vlc.Media:
        media = self._instance.media_new(source)
        if is_ogg_file(source):
            # VLC 3's own Ogg demuxer drops the first 73 ms of an Opus file (measured: the
            # captured audio starts that far in); libavformat's loses only the 6.5 ms pre-skip
            # plus a frame. WebM (the cache's) and streams keep VLC's choice.
            media.add_option("demux=avformat")
        if offset_s > 0:
            media.add_option(f"start-time={offset_s:.3f}")
        return media

    def _take_turn(self) -> vlc.MediaPlayer | None:
        """On a real output, the idle player becomes the current one for this generation;
        returns the one it replaces, to be stopped once the new source has started."""
        if self._idle is None:
            return None
        previous, self._player, self._idle = self._player, self._idle, self._player
        self._turn, self._idle_turn = self._idle_turn, self._turn
        self._turn.generation = self._generation
        return previous

    def set_volume(self, volume: int) -> None:
        self._player.audio_set_volume(volume)

    def stop(self) -> None:
        with self._lock:
            self._generation += 1
            self._state = PlayerState.idle
        self._player.stop()
        if self._idle is not None:
            self._idle.stop()
        self._prepared = None

    @property
    def state(self) -> PlayerState:
        with self._lock:
            return self._state

    def close(self) -> None:
        self.stop()
        if self._idle is not None:
            self._idle.release()
            self._idle = None
        if self._base is None or self._instance is not self._base[0]:
            _release(self._instance, self._player)
        self._release_base()

    def _switch_capture_file(self, source: str) -> None:
        assert self._capture_dir is not None
        self._captured += 1
        wav = self._capture_dir / capture_name(self._captured, source)
        instance = _instance(vlc_options(wav=wav))
        player = self._new_player(instance, _Turn(self._generation))
        # The new instance holds VLC's plugins now: the previous one (a capture's, or the
        # first) goes, and nothing is unloaded in between.
        previous, previous_player = self._instance, self._player
        self._instance, self._player = instance, player
        if self._base is not None and previous is self._base[0]:
            self._release_base()
        else:
            _release(previous, previous_player)

    def _release_base(self) -> None:
        if self._base is not None:
            _release(*self._base)
            self._base = None

    def _new_player(self, instance: vlc.Instance, turn: _Turn) -> vlc.MediaPlayer:
        """A media player whose events count for its turn's generation (a capture player
        plays one source; the two players of a real output take turns), or for whatever
        plays now (a turn of None: capture mode's first player)."""
        player = instance.media_player_new()
        manager = player.event_manager()
        for event, state, error in (
            (vlc.EventType.MediaPlayerPlaying, PlayerState.playing, None),
            (vlc.EventType.MediaPlayerEndReached, PlayerState.ended, None),
            (vlc.EventType.MediaPlayerEncounteredError, PlayerState.failed, UNPLAYABLE),
        ):
            manager.event_attach(event, self._handler(turn, state, error))
        return player

    def _handler(
        self, turn: _Turn, state: PlayerState, error: str | None
    ) -> Callable[[object], None]:
        # VLC calls this on its own thread. A player's late event (its source ended after
        # the next one began, on this player or the other) must not overwrite the new
        # source's state.
        def handler(_: object) -> None:
            with self._lock:
                current = self._generation
            generation = turn.generation
            self._emit(current if generation is None else generation, state, error)

        return handler

    def _emit(self, generation: int, state: PlayerState, error: str | None = None) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._state = state
            event = PlayerEvent(state, self._source, time.monotonic(), error)
        notify(self._listeners, event)


class _Turn:
    """The generation a player's events count for (None: whatever plays now)."""

    __slots__ = ("generation",)

    def __init__(self, generation: int | None) -> None:
        self.generation = generation


def _release(instance: vlc.Instance, player: vlc.MediaPlayer) -> None:
    player.stop()
    player.release()
    instance.release()


def _instance(options: list[str]) -> vlc.Instance:
    instance = vlc.Instance(options)
    if instance is None:
        raise RuntimeError("libvlc could not start: is VLC (libvlc5, vlc-plugin-base) installed?")
    return instance


def plugin_cache() -> tuple[Path | None, Path | None]:
    """VLC's plugin directory (beside the libvlccore this process loaded: VLC 3 looks in
    <libdir>/vlc/plugins) and its plugin cache, plugins.dat, if there is one. Without the
    cache VLC opens every plugin to learn what it does, and keeps them all loaded: hundreds
    of libraries, about 40 MB resident more in each process."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None, None
    for line in maps.splitlines():
        fields = line.split(None, 5)
        if len(fields) == 6 and "/libvlccore.so" in fields[5]:
            plugins = Path(fields[5].strip()).parent / "vlc" / "plugins"
            cache = plugins / "plugins.dat"
            return plugins, cache if cache.exists() else None
    return None, None
