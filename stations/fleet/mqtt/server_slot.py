"""Each server process's MQTT client id, stable across restarts of that process.

The server's session on the broker is persistent, so the acks, heartbeats and presence
that stations send while the server is away (a broker restart, a worker restarted) wait
in it rather than being dropped. That only helps if the process that comes back takes the
same client id: a process id would leave the old session, and its share of the stations'
messages, to expire unread. So each process claims the lowest free slot of this install
on this host with an exclusive lock on a file (the kernel lets go of it when a process
dies, however it dies), and a restarted worker takes up the slot, and the session, its
predecessor left. The install's data directory is part of the id, so two installs on one
host (or two test servers on one broker) never take each other's place.
"""

from __future__ import annotations

import fcntl
import hashlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_SLOTS = 256  # far more processes than one host runs


class NoFreeSlot(Exception):
    """Every slot of this install on this host is held by a running process."""


@dataclass(frozen=True)
class ServerSlot:
    client_id: str
    number: int
    _lock: IO[str]

    def release(self) -> None:
        self._lock.close()  # closing the file lets go of its lock


def claim_slot(data_dir: Path) -> ServerSlot:
    directory = data_dir / "mqtt-server"
    directory.mkdir(parents=True, exist_ok=True)
    install = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:8]
    host = socket.gethostname()
    for number in range(MAX_SLOTS):
        lock = (directory / f"{host}-{number}.lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return ServerSlot(f"loaxa-server-{host}-{install}-{number}", number, lock)
    raise NoFreeSlot(f"{MAX_SLOTS} server processes already hold {directory}")
