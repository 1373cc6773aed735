"""`loaxa audit ...`: the audit chain."""

from __future__ import annotations

import typer

from cli.context import settings
from core.audit.chain import verify
from core.db import Database

app = typer.Typer(help="The audit chain (nhật ký kiểm tra).", no_args_is_help=True)


@app.command("verify")
def audit_verify() -> None:
    """Walk the audit chain from the first event; name the first event altered or removed.

    Exits 0 when the chain is intact, 1 when it is broken.
    """
    database = Database(settings().database_url)
    try:
        with database.session() as session:
            result = verify(session=session)
    finally:
        database.dispose()
    if result.problem is not None:
        typer.secho(f"BROKEN: {result.problem}", fg=typer.colors.RED, err=True)
        typer.echo(f"{result.checked} event(s) before it are intact.", err=True)
        raise typer.Exit(1)
    typer.secho(f"OK: {result.checked} audit event(s), chain intact", fg=typer.colors.GREEN)
