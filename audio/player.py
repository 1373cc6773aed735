"""The Player interface the agent's playout engine drives, apart from any implementation
(VLC in audio/vlc_player.py; a fake in the tests), so the engine's logic is tested without
sound and the real player is tested against the same contract."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)


class PlayerState(StrEnum):
    idle = "idle"
    playing = "playing"
    ended = "ended"
    failed = "failed"


@dataclass(frozen=True, slots=True)
class PlayerEvent:
    state: PlayerState  # playing, ended or failed
    source: str
    monotonic: float  # when the player reported it (time.monotonic())
    error: str | None = None


PlayerListener = Callable[[PlayerEvent], None]


def notify(listeners: list[PlayerListener], event: PlayerEvent) -> None:
    """Tell every listener; one's bug must not stop the player's own thread (VLC's event
    thread, an output's writer) nor keep the event from the others."""
    for listener in listeners:
        try:
            listener(event)
        except Exception:
            log.exception("player: a listener failed")


class Player(Protocol):
    """Plays one source at a time: a local file or a stream URL. Calls return at once;
    what happens then arrives as events, possibly on another thread."""

    # How long after a call to play or stop it is heard, if the player keeps to a fixed
    # time (the engine then acts that much early); 0: it acts as soon as it can.
    ahead_s: float

    def subscribe(self, listener: PlayerListener) -> None: ...

    def play(self, source: str, *, offset_s: float = 0.0, volume: int = 100) -> None:
        """Stop whatever plays and start `source`, `offset_s` seconds in."""
        ...

    def prepare(self, source: str) -> None:
        """A hint: `source` is likely the next to play, from its start. A player may make
        ready for it so that `play` starts it sooner; it must not be heard before `play`,
        and a `play` of anything else works as ever."""
        ...

    def set_volume(self, volume: int) -> None: ...

    def stop(self) -> None: ...

    @property
    def state(self) -> PlayerState: ...

    def close(self) -> None: ...
