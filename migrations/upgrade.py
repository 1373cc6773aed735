"""Alembic, driven from code: `loaxa db upgrade` and the server's start both call upgrade()."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from core.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any fixed number: several servers starting at once on PostgreSQL migrate one at a time.
_MIGRATION_LOCK_ID = 0x10A8A


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    database = Database(url)
    try:
        with database.write_engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
                )
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        database.dispose()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    database = Database(url)
    try:
        with database.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        database.dispose()
