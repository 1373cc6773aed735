"""`loaxa server`: run the API."""

from __future__ import annotations

import os
import secrets

import typer
import uvicorn
from sqlmodel import select

from cli.context import config_path, fail, settings
from core.auth.bootstrap import create_user_with_role, resolve_area
from core.auth.models import Role, User
from core.clock import SystemClock
from core.config import CONFIG_VARIABLE, Settings
from core.db import Database
from migrations.upgrade import upgrade


def server(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (config: host)"),
    port: int | None = typer.Option(None, "--port", help="Port to listen on (config: port)"),
    seed_admin: bool = typer.Option(
        False,
        "--seed-admin",
        help="When the database has no users, create 'admin' with a random password and print it.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Server processes sharing the port (PostgreSQL only): uvicorn starts them and "
        "starts again any that dies.",
    ),
) -> None:
    """Run the Loaxa server (API, OpenAPI docs at /docs)."""
    from api import create_app

    config = settings()
    if workers > 1 and not config.database_url.startswith("postgresql"):
        fail(
            f"--workers {workers} needs PostgreSQL (database_url): on SQLite one process "
            "writes at a time and the processes could not tell each other of changes"
        )
    if config.auto_migrate or seed_admin:
        upgrade(config.database_url)
    if seed_admin:
        _seed_admin(config)
    bind_host, bind_port = host or config.host, port or config.port
    typer.echo(f"Loaxa on http://{bind_host}:{bind_port}  (API docs: /docs, readiness: /readyz)")
    if workers == 1:
        uvicorn.run(create_app(config), host=bind_host, port=bind_port, log_level="info")
        return
    # Each process builds its own app from the same settings: the --config chosen here
    # reaches them as LOAXA_CONFIG, the LOAXA_* variables as they are.
    if config_path() is not None:
        os.environ[CONFIG_VARIABLE] = str(config_path())
    typer.echo(f"{workers} server processes")
    uvicorn.run(
        "api:create_app",  # called with no settings: it loads them as this process did
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level="info",
    )


def _seed_admin(config: Settings) -> None:
    database = Database(config.database_url)
    now = SystemClock().now()
    try:
        with database.session(write=True) as session:
            if session.exec(select(User.id)).first() is not None:
                typer.echo("users exist already: no admin seeded")
                return
            password = secrets.token_urlsafe(12)
            area = resolve_area(
                session=session, ref=None, timezone=config.default_timezone, now=now
            )
            create_user_with_role(
                session=session,
                username="admin",
                password=password,
                role=Role.admin,
                area=area,
                full_name="Administrator",
                now=now,
            )
            session.commit()
    finally:
        database.dispose()
    typer.secho(
        f"seeded admin: username 'admin', password '{password}' (change it)", fg=typer.colors.YELLOW
    )
