"""Throwaway databases for tests: each test gets a fresh, migrated SQLite file or
PostgreSQL database, copied from a template migrated once per run."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from migrations.upgrade import upgrade

PG_ENV = "LOAXA_TEST_DATABASE_URL"


def postgres_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


class SqliteFactory:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"
        upgrade(f"sqlite:///{self.template}")

    def create(self, template: str | None = None) -> str:
        target = self.root / f"{uuid.uuid4().hex}.db"
        source = make_url(template).database if template else None
        shutil.copyfile(source or self.template, target)
        return f"sqlite:///{target}"

    def create_empty(self) -> str:
        return f"sqlite:///{self.root / uuid.uuid4().hex}.db"

    def drop(self, url: str) -> None:
        database = make_url(url).database
        assert database is not None
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresFactory:
    """Databases named after the one in LOAXA_TEST_DATABASE_URL, created from a template."""

    def __init__(self, base_url: str) -> None:
        self.base = make_url(base_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.prefix = f"{self.base.database}_t"
        self.template = f"{self.prefix}_{uuid.uuid4().hex[:8]}_tpl"
        # Only what this run made is dropped at its end: another run (a second checkout, a
        # benchmark) may be using the same server at the same time.
        self._made: set[str] = {self.template}
        self._execute(f'CREATE DATABASE "{self.template}"')
        upgrade(self._url(self.template))

    def _url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        source = make_url(template).database if template else self.template
        self._made.add(name)
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        return self._url(name)

    def create_empty(self) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self._made.add(name)
        self._execute(f'CREATE DATABASE "{name}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.discard(name or "")

    def close(self) -> None:
        # Templates last: the databases copied from them go first.
        for name in sorted(self._made, key=lambda n: n.endswith("_tpl")):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()
