"""Exactly one process runs the scheduler's jobs at a time.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own:
if the process dies, its connection closes, the lock is released, and the next process
that asks takes over. On SQLite, where the server is one machine, an exclusive lock on a
file next to the data does the same for processes sharing that data.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# "loaxa" in ASCII: the advisory lock key every Loaxa server agrees on.
LOCK_KEY = 0x6C6F617861


class Leadership(Protocol):
    def holds(self) -> bool:
        """True when this process leads; tries to become leader when it does not."""

    def release(self) -> None: ...


class PostgresLeadership:
    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._connection: Connection | None = None

    def holds(self) -> bool:
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still connected: still leader
                return True
            # Autocommit: the lock is held by the session, and the health check above must
            # not leave the connection idle in a transaction (a server timeout would end it).
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar_one()
            if not taken:
                connection.close()
                return False
            self._connection = connection
            log.info("scheduler: this process is now the leader")
            return True
        except DBAPIError:
            log.warning("scheduler: lost the database connection; not leading", exc_info=True)
            self._drop()
            return False

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            finally:
                self._connection = None

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._connection.close()
        except DBAPIError:
            self._drop()
        self._connection = None


class FileLeadership:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    def holds(self) -> bool:
        if self._file is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._path, "a+b")  # noqa: SIM115 - held open while leading
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
