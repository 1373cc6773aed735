"""The `loaxa` command."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cli.agent import agent

app = typer.Typer(
    help="Loaxa: broadcast scheduling for commune radio (đài truyền thanh cấp xã).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("agent")(agent)

try:
    from cli import admin, areas, audit, db, mqtt, playlists
    from cli.context import set_config_path
    from cli.demo import demo
    from cli.server import server
except ModuleNotFoundError as exc:  # an agent-only install (Raspberry Pi): no server parts
    SERVER_MISSING: str | None = exc.name
else:
    SERVER_MISSING = None
    app.add_typer(db.app, name="db")
    app.add_typer(admin.app, name="admin")
    app.add_typer(areas.app, name="areas")
    app.add_typer(audit.app, name="audit")
    app.add_typer(playlists.app, name="playlists")
    app.add_typer(mqtt.app, name="mqtt")
    app.command("server")(server)
    app.command("demo")(demo)


@app.callback()
def _options(
    config: Path | None = typer.Option(
        None,
        "--config",
        envvar="LOAXA_CONFIG",
        exists=True,
        dir_okay=False,
        help="A config.yaml to use instead of the default; LOAXA_* variables still override it.",
    ),
) -> None:
    if SERVER_MISSING is None:
        set_config_path(config)


def main() -> None:
    if SERVER_MISSING is not None and sys.argv[1:2] and sys.argv[1] not in ("agent", "--help"):
        typer.secho(
            f"error: this install has the station agent only (missing {SERVER_MISSING}); "
            "the server's commands need: pip install 'loaxa[server]'",
            fg=typer.colors.RED,
            err=True,
        )
        raise SystemExit(2)
    app()
