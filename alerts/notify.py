"""Alerts across server processes (DESIGN.md: several API processes behind a proxy): the
process that issues or ends an alert sends a PostgreSQL NOTIFY, and every process LISTENs and
reloads its board at once, so agents connected to any of them get the push within
milliseconds. Without PostgreSQL (or while the listening connection is down) each board's
own fingerprint check catches up within `alert_refresh_s`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from core.db import Database
from core.listen import Listener

CHANNEL = "loaxa_alerts"


def notifier(database: Database) -> Callable[[], None]:
    """What to call after committing a change to the alerts on the air."""
    if database.is_sqlite:
        return lambda: None

    def notify() -> None:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
            connection.commit()

    return notify


def listener(database_url: str, on_change: Callable[[], None]) -> Listener:
    """A Listener that reloads the board (`on_change`) on each alerts notification."""
    return Listener(database_url, CHANNEL, lambda _payload: on_change())
