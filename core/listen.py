"""LISTEN on a PostgreSQL channel in a thread of its own: how server processes hear of each
other's changes (alerts on the air, a station's token or build) at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

RECONNECT_S = 2.0


class Listener:
    """A thread holding one connection that LISTENs on `channel`: `on_notify` runs with each
    notification's payload, and with None once after each (re)connection, for whatever was
    missed while it was down."""

    def __init__(
        self, database_url: str, channel: str, on_notify: Callable[[str | None], None]
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._channel = channel
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{channel}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """The thread ends within a second, by itself: waiting for it would hold up every
        shutdown by as long (a daemon thread, so the process never waits for it)."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:
                log.warning("LISTEN %s lost (%s); again in %.0f s", self._channel, exc, RECONNECT_S)
                self._stop.wait(RECONNECT_S)

    def _listen(self) -> None:
        import psycopg  # here: only PostgreSQL needs it, 0.4 s of every process's start

        with psycopg.connect(self._conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {self._channel}")
            self._on_notify(None)
            while not self._stop.is_set():
                # Wakes at least once a second to see whether it should stop.
                for notice in connection.notifies(timeout=1.0):
                    self._on_notify(notice.payload)
