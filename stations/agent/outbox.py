"""The as-run outbox: every record is on the agent's own disk before the call that makes it
returns, and leaves only once the server has acknowledged it.

SQLite in WAL mode with synchronous=FULL: a committed record survives a killed process and a
power cut. An item that starts is written as open at once; its end closes it. An open record
found at start-up belongs to an item the agent was killed in: it is closed as partial, with
the last moment the agent was known to be alive as its end, and says so. A record the server
refuses as invalid is set aside (kept, not sent again), so it cannot block those behind it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from uuid import UUID

from stations.protocol import AsRunRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    open INTEGER NOT NULL DEFAULT 0,  -- 0 ready, 1 open (item playing), 2 set aside
    body TEXT NOT NULL,
    refused TEXT
);
CREATE TABLE IF NOT EXISTS alive (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL);
"""


class Outbox:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(SCHEMA)
        # The sign of life is written every second: on its own connection without fsync
        # (synchronous is per connection), so it costs the SD card no flush. A killed process
        # loses nothing the OS has; a power cut may lose the last seconds until the next
        # synchronous commit or the OS's own writeback.
        self._alive = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._alive.execute("PRAGMA synchronous=OFF")
        self._alive.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._alive.close()
        self._db.close()

    def record(self, record: AsRunRecord) -> None:
        """A finished record (played, failed, skipped, pre-empted), ready to upload."""
        with self._lock:
            self._db.execute(
                "INSERT INTO record (id, open, body) VALUES (?, 0, ?) "
                "ON CONFLICT (id) DO UPDATE SET open = 0, body = excluded.body",
                (str(record.id), record.model_dump_json()),
            )

    def open(self, record: AsRunRecord) -> None:
        """An item has started: kept, but not uploaded until record() closes it."""
        with self._lock:
            self._db.execute(
                "INSERT INTO record (id, open, body) VALUES (?, 1, ?)",
                (str(record.id), record.model_dump_json()),
            )

    def mark_alive(self, now: datetime) -> None:
        with self._lock:
            self._alive.execute(
                "INSERT INTO alive (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = ?",
                (now.isoformat(), now.isoformat()),
            )

    def close_interrupted(self, now: datetime) -> int:
        """Close the records of items the agent was killed in; returns how many."""
        with self._lock:
            row = self._db.execute("SELECT at FROM alive WHERE id = 1").fetchone()
            last_alive = datetime.fromisoformat(row[0]) if row else now
            opened = self._db.execute("SELECT body FROM record WHERE open = 1").fetchall()
        for (body,) in opened:
            started = AsRunRecord.model_validate_json(body)
            end = max(last_alive, started.started_at or last_alive)
            self.record(
                started.model_copy(
                    update={
                        "result": "partial",
                        "ended_at": end,
                        "error": "interrupted: the agent stopped during this item; "
                        "ended_at is the last moment it was known to be running",
                    }
                )
            )
        return len(opened)

    def pending(self, limit: int) -> list[AsRunRecord]:
        """The oldest records ready to upload."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM record WHERE open = 0 ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [AsRunRecord.model_validate_json(body) for (body,) in rows]

    def acknowledge(self, ids: Sequence[UUID]) -> None:
        """The server has these: forget them."""
        with self._lock:
            self._db.executemany(
                "DELETE FROM record WHERE id = ? AND open = 0", [(str(i),) for i in ids]
            )

    def set_aside(self, record_id: UUID, reason: str) -> None:
        """The server refused this record as invalid: keep it here, but stop sending it."""
        with self._lock:
            self._db.execute(
                "UPDATE record SET open = 2, refused = ? WHERE id = ? AND open = 0",
                (reason[:2000], str(record_id)),
            )

    def oldest(self) -> datetime | None:
        """When the oldest record still to upload happened (an open one included)."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM record WHERE open < 2 ORDER BY seq LIMIT 1"
            ).fetchone()
        return AsRunRecord.model_validate_json(row[0]).occurred_at() if row else None

    def count(self) -> int:
        """Records still to upload (open ones included, set-aside ones not)."""
        with self._lock:
            (total,) = self._db.execute("SELECT count(*) FROM record WHERE open < 2").fetchone()
        return int(total)
