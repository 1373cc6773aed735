"""A Player for unit tests of the playout engine: it plays nothing, remembers what it was
asked, and reports events as a player would. tests/audio/test_player_contract.py holds it
to the same contract as the VLC player."""

from __future__ import annotations

import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from audio.player import PlayerEvent, PlayerListener, PlayerState


@dataclass(frozen=True)
class Call:
    source: str
    offset_s: float
    volume: int


class FakePlayer:
    ahead_s = 0.0

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.volumes: list[int] = []
        self.prepared: list[str] = []
        self._listeners: list[PlayerListener] = []
        self._state = PlayerState.idle
        self._source = ""
        self._timer: threading.Timer | None = None

    def subscribe(self, listener: PlayerListener) -> None:
        self._listeners.append(listener)

    def play(self, source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        self._cancel()
        self.calls.append(Call(source, offset_s, volume))
        self._source = source
        length = _wav_seconds(source)
        if length is None and not source.startswith(("http://", "https://")):
            self._emit(PlayerState.failed, f"cannot open {source}")
            return
        self._emit(PlayerState.playing)
        if length is not None:
            # Like an unpaced output, the fake "plays" faster than real time.
            self._timer = threading.Timer(max(length - offset_s, 0) / 10, self.end)
            self._timer.start()

    def prepare(self, source: str) -> None:
        self.prepared.append(source)

    def end(self) -> None:
        """The source ran out (tests of the engine call this themselves)."""
        self._emit(PlayerState.ended)

    def fail(self, error: str) -> None:
        self._emit(PlayerState.failed, error)

    def set_volume(self, volume: int) -> None:
        self.volumes.append(volume)

    def stop(self) -> None:
        self._cancel()
        self._state = PlayerState.idle

    @property
    def state(self) -> PlayerState:
        return self._state

    def close(self) -> None:
        self._cancel()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _emit(self, state: PlayerState, error: str | None = None) -> None:
        self._state = state
        event = PlayerEvent(state, self._source, time.monotonic(), error)
        for listener in self._listeners:
            listener(event)


def _wav_seconds(source: str) -> float | None:
    path = Path(source)
    if not path.is_file():
        return None
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()
