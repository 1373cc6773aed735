"""The database layer: SQLite in WAL mode; concurrent read-then-write requests all land."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import func, select

from audit.chain import Actor, record, verify
from audit.models import AuditEvent
from core.db import Database


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'deep' / 'x.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_concurrent_audited_writes_keep_one_unbroken_chain(database: Database) -> None:
    """Each worker reads first, then appends: on SQLite this would fail on a stale snapshot
    without BEGIN IMMEDIATE; on PostgreSQL the head row lock serialises the appends."""

    def work(n: int) -> None:
        with database.session(write=True) as session:
            session.exec(select(func.count()).select_from(AuditEvent)).one()
            record(
                session=session,
                actor=Actor(id=None, name=f"w{n}"),
                action="t.write",
                object_type="t",
                object_id=n,
                area_id=None,
                before=None,
                after={"n": n},
                now=datetime.now(UTC),
            )
            session.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(40)))
    with database.session() as session:
        result = verify(session=session)
    assert result.ok, result.problem
    assert result.checked == 40
