"""The database layer: SQLite in WAL mode; concurrent read-then-write requests all land."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from core.audit.chain import Actor, Subject, record, verify
from core.audit.models import AuditEvent
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
                subject=Subject("t", n, None),
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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_fast_read_survives_the_server_dropping_its_pooled_connection(
    database: Database,
) -> None:
    # The fleet's reads skip the ping per checkout; a connection the server dropped (a
    # restart) must cost a retry, not a failed request.
    assert database.read_one(text("SELECT 1"), {}) == (1,)
    with database.engine.connect() as killer:
        killed = killer.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert killed >= 1
    assert database.read_one(text("SELECT 2"), {}) == (2,)
