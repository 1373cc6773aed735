"""`loaxa mqtt ...`: the MQTT broker that carries push to the agents at scale."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from cli.context import fail
from stations.fleet.mqtt.broker_config import BrokerFiles, BrokerSetupError

app = typer.Typer(help="The MQTT broker for push to the agents (Mosquitto).", no_args_is_help=True)


@app.command("init")
def mqtt_init(
    directory: Path = typer.Option(
        ..., "--dir", help="Where the broker keeps its configuration and persistence."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="The address the broker listens on."),
    port: int = typer.Option(1883, "--port", min=1, max=65535),
    certificate: Path | None = typer.Option(
        None, "--cert", exists=True, dir_okay=False, help="TLS certificate (mqtts)."
    ),
    key: Path | None = typer.Option(None, "--key", exists=True, dir_okay=False, help="Its key."),
    admin_username: str = typer.Option("loaxa-server", "--admin-username"),
) -> None:
    """Write mosquitto.conf and the dynamic security plugin's first configuration (the
    server's admin sign-in, no station yet), and print the settings for the server."""
    if (certificate is None) != (key is None):
        fail("--cert and --key go together")
    files = BrokerFiles(
        data_dir=directory.resolve(),
        host=host,
        port=port,
        tls=(certificate.resolve(), key.resolve()) if certificate and key else None,
    )
    if files.security.exists():
        fail(
            f"{files.security} exists already: it holds the stations' credentials. "
            "Remove it first to start afresh (every station then asks for new ones)."
        )
    password = secrets.token_urlsafe(24)
    try:
        files.write(admin_username=admin_username, admin_password=password)
    except BrokerSetupError as exc:
        fail(str(exc))
    scheme = "mqtts" if files.tls else "mqtt"
    typer.echo(f"wrote {files.config} and {files.security}")
    typer.echo(f"start the broker: mosquitto -c {files.config}")
    typer.echo("then give the server (config.yaml or the environment), once:")
    typer.echo("  LOAXA_PUSH_TRANSPORT=mqtt")
    typer.echo(f"  LOAXA_MQTT_URL={scheme}://<address agents reach>:{port}")
    typer.echo(f"  LOAXA_MQTT_USERNAME={admin_username}")
    typer.echo(f"  LOAXA_MQTT_PASSWORD={password}")
