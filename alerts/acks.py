"""Agents' acknowledgements (received, started, finished), kept in memory and written once a
second in one batch: an alert to ten thousand stations brings thirty thousand acks
within seconds, and one write transaction each would queue behind SQLite's single writer.

A stage keeps its first time: an agent sends its acks again after each reconnection (a push
or an ack can be lost with a dropped connection), and those repeats change nothing. A crash
loses at most the last second of acks, and the agent repeats them when it
reconnects.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlmodel import col, select

from alerts.models import Alert, AlertDelivery
from core.db import Database
from stations.protocol import Stage

log = logging.getLogger(__name__)

# Proof, not a race: once a second keeps the writes (and the GIL they hold) out of the
# way of a fan-out, which takes about that long for ten thousand agents.
FLUSH_EVERY_S = 1.0
_COLUMNS: dict[str, str] = {
    "received": "received_at",
    "started": "started_at",
    "finished": "finished_at",
}


class AckBuffer:
    def __init__(self, database: Database) -> None:
        self._database = database
        # (alert identifier, station, stage) → the earliest time heard
        self._pending: dict[tuple[str, int, str], datetime] = {}
        self._lock = threading.Lock()

    def add(self, *, station_id: int, alert_id: str, stage: Stage, at: datetime) -> None:
        key = (alert_id, station_id, stage)
        with self._lock:
            known = self._pending.get(key)
            self._pending[key] = at if known is None else min(known, at)

    def flush(self) -> int:
        """Write the acks heard since the last flush; returns how many."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            with self._database.session(write=True) as session:
                query = select(Alert.identifier, Alert.id, Alert.issued_at).where(
                    col(Alert.identifier).in_(sorted({key[0] for key in pending}))
                )
                known: Known = {
                    name: (id_, issued) for name, id_, issued in session.exec(query).all()
                }
                for stage, column in _COLUMNS.items():
                    if rows := _rows(pending, known, stage):
                        session.execute(_statement(column), rows)
                session.commit()
        except Exception:
            with self._lock:  # kept for the next flush
                for key, at in pending.items():
                    earlier = self._pending.get(key)
                    self._pending[key] = at if earlier is None else min(earlier, at)
            raise
        return len(pending)


Known = dict[str, tuple[int | None, datetime | None]]


def _rows(
    pending: dict[tuple[str, int, str], datetime], known: Known, stage: str
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for (alert, station, heard), at in pending.items():
        if heard != stage or alert not in known:
            continue
        alert_id, issued_at = known[alert]
        # A Pi whose clock is not set yet may say years ago: never before the alert went out.
        when = max(at, issued_at) if issued_at is not None else at
        rows.append({"b_alert": alert_id, "b_station": station, "b_at": when})
    return rows


def _statement(column: str):  # type: ignore[no-untyped-def]
    table = AlertDelivery.__table__  # type: ignore[attr-defined]
    target = table.c[column]
    return (
        update(table)
        .where(table.c.alert_id == bindparam("b_alert"))
        .where(table.c.station_id == bindparam("b_station"))
        .values({column: func.coalesce(target, bindparam("b_at", type_=target.type))})
    )
