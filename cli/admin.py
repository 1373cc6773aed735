"""`loaxa admin ...`: bootstrap users from the shell."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from cli.context import errors_as_messages, fail, settings
from core.auth.bootstrap import create_user_with_role, resolve_area
from core.auth.models import Role
from core.clock import SystemClock
from core.db import Database
from migrations.upgrade import upgrade

app = typer.Typer(help="Administration from the shell (quản trị).", no_args_is_help=True)


@app.command("create-user")
def create_user(
    name: str = typer.Argument(help="Username: lower-case letters, digits, '.', '_' or '-'"),
    role: Role = typer.Option(..., "--role", help="The role to give, in --area"),
    area: str | None = typer.Option(
        None,
        "--area",
        help="Area id, code or exact name. Default: the top area, created as 'Việt Nam' "
        "when the tree is empty.",
    ),
    password: str | None = typer.Option(
        None,
        "--password",
        envvar="LOAXA_ADMIN_PASSWORD",
        help="At least 8 characters. Prompted for (hidden) when not given.",
    ),
    full_name: str = typer.Option("", "--full-name", help="Shown to other users"),
) -> None:
    """Create a user holding ROLE in an area, e.g. the first admin:

    loaxa admin create-user admin --role admin
    """
    config = settings()
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if config.auto_migrate:
        upgrade(config.database_url)
    database = Database(config.database_url)
    now = SystemClock().now()
    try:
        with database.session(write=True) as session, errors_as_messages():
            target = resolve_area(
                session=session, ref=area, timezone=config.default_timezone, now=now
            )
            try:
                user = create_user_with_role(
                    session=session,
                    username=name,
                    password=password,
                    role=role,
                    area=target,
                    full_name=full_name,
                    now=now,
                )
            except ValidationError as exc:
                fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
            session.commit()
            typer.echo(
                f"created user {user.username} (#{user.id}): {role.value} in "
                f"{target.name} (area #{target.id})"
            )
    finally:
        database.dispose()
