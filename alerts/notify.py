"""Alerts across server processes (DESIGN.md: several API processes behind a proxy): the
process that issues or ends an alert sends a PostgreSQL NOTIFY, and every process LISTENs and
reloads its board at once, so agents connected to any of them get the push within
milliseconds. Without PostgreSQL (or while the listening connection is down) each board's
own fingerprint check catches up within `alert_refresh_s`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import Database

log = logging.getLogger(__name__)

CHANNEL = "loaxa_alerts"
RECONNECT_S = 2.0


def notifier(database: Database) -> Callable[[], None]:
    """What to call after committing a change to the alerts on the air."""
    if database.is_sqlite:
        return lambda: None

    def notify() -> None:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            connection.commit()

    return notify


class Listener:
    """A thread holding one connection that LISTENs; `on_notify` runs on each notification,
    and once after each (re)connection, for whatever was missed while it was down."""

    def __init__(self, database_url: str, on_notify: Callable[[], None]) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-listener", daemon=True)

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
                log.warning(
                    "alerts: LISTEN %s lost (%s); again in %.0f s", CHANNEL, exc, RECONNECT_S
                )
                self._stop.wait(RECONNECT_S)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self._on_notify()
            while not self._stop.is_set():
                # Wakes at least once a second to see whether it should stop.
                for _ in connection.notifies(timeout=1.0):
                    self._on_notify()
