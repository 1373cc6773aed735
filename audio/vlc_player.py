"""The Player on libvlc (python-vlc). The output is the sound card by default; tests and the
demo without one use VLC's `afile` output, which writes what is played into a WAV file.

VLC's `afile` and `dummy` outputs are not paced (they run about 1.4x real time), so the
engine keeps time by its own clock; VLC's events say only that playback began or stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import vlc

from audio.player import PlayerEvent, PlayerListener, PlayerState

log = logging.getLogger(__name__)


def vlc_options(*, output: str | None = None, wav: Path | None = None) -> list[str]:
    """libvlc options: no video, no interface; `wav` captures the audio into that file."""
    options = ["--no-video", "--intf=dummy", "--quiet", "--no-stats", "--no-media-library"]
    if wav is not None:
        options += ["--aout=afile", f"--audiofile-file={wav}", "--audiofile-format=s16"]
    elif output is not None:
        options.append(f"--aout={output}")
    return options


class VlcPlayer:
    def __init__(self, *, output: str | None = None, wav: Path | None = None) -> None:
        self._instance = vlc.Instance(vlc_options(output=output, wav=wav))
        if self._instance is None:
            raise RuntimeError(
                "libvlc could not start: is VLC (libvlc5, vlc-plugin-base) installed?"
            )
        self._player = self._instance.media_player_new()
        self._listeners: list[PlayerListener] = []
        self._state = PlayerState.idle
        self._source = ""
        self._lock = threading.Lock()
        manager = self._player.event_manager()
        manager.event_attach(vlc.EventType.MediaPlayerPlaying, self._on_playing)
        manager.event_attach(vlc.EventType.MediaPlayerEndReached, self._on_ended)
        manager.event_attach(vlc.EventType.MediaPlayerEncounteredError, self._on_error)

    def subscribe(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def play(self, source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        media = self._instance.media_new(source)
        if offset_s > 0:
            media.add_option(f"start-time={offset_s:.3f}")
        with self._lock:
            self._source = source
            self._state = PlayerState.idle
        self._player.set_media(media)
        self._player.audio_set_volume(volume)
        if self._player.play() == -1:
            self._emit(PlayerState.failed, "libvlc refused to play")
        else:
            self._player.audio_set_volume(volume)

    def set_volume(self, volume: int) -> None:
        self._player.audio_set_volume(volume)

    def stop(self) -> None:
        self._player.stop()
        with self._lock:
            self._state = PlayerState.idle

    @property
    def state(self) -> PlayerState:
        with self._lock:
            return self._state

    def close(self) -> None:
        self._player.stop()
        self._player.release()
        self._instance.release()

    # VLC calls these on its own thread.

    def _on_playing(self, _: object) -> None:
        self._emit(PlayerState.playing)

    def _on_ended(self, _: object) -> None:
        self._emit(PlayerState.ended)

    def _on_error(self, _: object) -> None:
        self._emit(PlayerState.failed, "VLC could not play the source")

    def _emit(self, state: PlayerState, error: str | None = None) -> None:
        with self._lock:
            self._state = state
            event = PlayerEvent(state, self._source, time.monotonic(), error)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not kill VLC's event thread
                log.exception("player: a listener failed")
