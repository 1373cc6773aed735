"""The outbox keeps records on disk until acknowledged, closes items a stop interrupted,
and survives being opened again (as after a restart)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stations.agent.outbox import Outbox
from stations.protocol import AsRunRecord

T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)


def _record(**fields: object) -> AsRunRecord:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "item_id": "3@20261128T223000Z",
        "content_id": 3,
        "planned_start": T0,
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=30),
        "result": "played",
        "clock_offset_ms": 120,
    }
    values.update(fields)
    return AsRunRecord.model_validate(values)


def test_records_wait_in_order_until_acknowledged(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    records = [_record() for _ in range(5)]
    for record in records:
        outbox.record(record)
    assert outbox.pending(3) == records[:3]
    outbox.acknowledge([r.id for r in records[:3]])
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.sqlite3")
    assert reopened.pending(10) == records[3:]
    assert reopened.count() == 2


def test_an_open_item_is_not_uploaded_until_it_ends(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    started = _record(result="failed", ended_at=None)
    outbox.open(started)
    assert outbox.pending(10) == []
    finished = started.model_copy(
        update={"result": "played", "ended_at": T0 + timedelta(seconds=9)}
    )
    outbox.record(finished)
    assert outbox.pending(10) == [finished]


def test_items_interrupted_by_a_stop_are_closed_as_partial_at_the_last_sign_of_life(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    started = _record(result="failed", ended_at=None)
    outbox.open(started)
    outbox.mark_alive(T0 + timedelta(seconds=12))
    outbox.close()  # the agent was killed here
    restarted = Outbox(tmp_path / "outbox.sqlite3")
    assert restarted.close_interrupted(T0 + timedelta(minutes=5)) == 1
    [closed] = restarted.pending(10)
    assert closed.id == started.id and closed.result == "partial"
    assert closed.ended_at == T0 + timedelta(seconds=12)
    assert closed.error is not None and "interrupted" in closed.error
    assert restarted.close_interrupted(T0 + timedelta(minutes=6)) == 0


def test_the_outbox_is_durable_by_configuration(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    assert outbox._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
