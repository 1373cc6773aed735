"""What a Player reports, collected for a test to wait on."""

from __future__ import annotations

import queue

from audio.player import Player, PlayerEvent


def events_of(player: Player) -> queue.Queue[PlayerEvent]:
    received: queue.Queue[PlayerEvent] = queue.Queue()
    player.subscribe(received.put)
    return received
