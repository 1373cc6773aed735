"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Row, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

# Stays below SQLite's limit on bound parameters in one statement.
CHUNK = 5000

T = TypeVar("T")


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """The values in lists of at most `size`, for IN (...) queries of any length."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# Connections from the write engine take SQLite's write lock when their transaction
# begins, so a request that reads and then writes cannot fail half-way on a stale snapshot.
_WRITE_OPTION = "loaxa_write"


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _create_engine(url)
        self.write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        # For the fleet's one-statement reads (every poll and heartbeat): on PostgreSQL in
        # autocommit and without a ping per checkout, which halves their cost; a connection
        # found dead is retried by the caller (see read_one).
        self.reads = self.engine if self.is_sqlite else _create_read_engine(url)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        bind = self.write_engine if write else self.engine
        with Session(bind, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def read_one(self, statement: Any, parameters: dict[str, Any]) -> Row[Any] | None:
        """The first row of a one-statement read on the fast read engine."""
        for attempt in (1, 2):
            try:
                with self.reads.connect() as connection:
                    return connection.execute(statement, parameters).first()
            except DBAPIError as exc:
                if not exc.connection_invalidated or attempt == 2:
                    raise  # a dead pooled connection (the server restarted): once more
        return None

    def dispose(self) -> None:
        self.engine.dispose()
        if self.reads is not self.engine:
            self.reads.dispose()


# As many connections as the thread pool has threads (AnyIO's default is 40): a thread
# holding none never waits for one that a request parked between threads is holding.
POOL = {"pool_size": 10, "max_overflow": 30}


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **POOL)
    pool: dict[str, int] = {}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = POOL
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _create_read_engine(url: str) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", **POOL)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred only).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
