"""`loaxa areas ...`: the area tree (địa bàn)."""

from __future__ import annotations

import typer

from cli.context import fail, settings
from core.areas.import_vn import import_areas, known_province, official_areas
from core.auth.bootstrap import cli_actor
from core.clock import SystemClock
from core.db import Database
from migrations.upgrade import upgrade

app = typer.Typer(help="The area tree (địa bàn).", no_args_is_help=True)


@app.command("import-vn")
def import_vn(
    province: int | None = typer.Option(
        None, "--province", help="Only this province, by official code (e.g. 1 for Hà Nội)"
    ),
) -> None:
    """Import Việt Nam's 34 provinces and 3,321 communes and wards (2025 reform) from the
    vietnam-provinces package, with official codes and division types (xã, phường, đặc khu).

    Areas are matched by code, so running it again only corrects names. Every change is
    an audit event.
    """
    if province is not None and not known_province(province):
        fail(f"no province with code {province}; codes run from 1 (Hà Nội) to 96 (Cà Mau)")
    config = settings()
    if config.auto_migrate:
        upgrade(config.database_url)
    specs = list(official_areas(province))
    database = Database(config.database_url)
    try:
        with database.session(write=True) as session:
            with typer.progressbar(length=len(specs), label="importing areas") as bar:
                result = import_areas(
                    session=session,
                    specs=specs,
                    actor=cli_actor(),
                    now=SystemClock().now(),
                    timezone=config.default_timezone,
                    progress=bar.update,
                )
            session.commit()
    finally:
        database.dispose()
    typer.echo(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged")
