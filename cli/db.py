"""`loaxa db ...`: the database schema."""

from __future__ import annotations

import typer

from cli.context import fail, settings
from migrations.upgrade import current_revision, upgrade

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest version (SQLite or PostgreSQL)."""
    url = settings().database_url
    try:
        upgrade(url)
    except Exception as exc:  # the database may be unreachable or refuse us: say so plainly
        fail(f"could not upgrade {_safe(url)}: {exc}")
    typer.echo(f"database {_safe(url)} is at revision {current_revision(url)}")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
