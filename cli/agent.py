"""`loaxa agent`: the station agent. Imports nothing of the server, so it runs on a
Raspberry Pi with the agent's dependencies alone."""

from __future__ import annotations

import asyncio
import logging
import platform
import shutil
import signal
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError

from audio.player import Player
from audio.pulse_output import OutputError
from audio.scheduled_player import ScheduledPlayer
from audio.vlc_player import VlcPlayer, has_sound_card, plugin_cache
from stations.agent import credentials
from stations.agent.config import AgentConfig
from stations.agent.files import private_dir
from stations.agent.link import enroll
from stations.agent.manifest_store import MANIFEST_FILE
from stations.agent.runtime import Agent, agent_version
from stations.protocol import AgentLocation, EnrollRequest


class PlayerKind(StrEnum):
    vlc = "vlc"
    scheduled = "scheduled"


def agent(
    server: str = typer.Option(
        ..., "--server", help="The Loaxa server, e.g. https://loaxa.example.vn"
    ),
    data_dir: Path = typer.Option(
        ...,
        "--data-dir",
        help="Where the agent keeps its token, manifest, audio cache and as-run outbox.",
    ),
    enroll_code: str | None = typer.Option(
        None,
        "--enroll",
        help="One-time enrolment code (mã đăng ký) from an admin; used only when the agent "
        "has no token yet.",
    ),
    enroll_only: bool = typer.Option(
        False, "--enroll-only", help="Enrol with --enroll, save the token, and exit."
    ),
    hardware_id: str | None = typer.Option(
        None, "--hardware-id", help="How the server names this device (default: machine id)."
    ),
    location: str | None = typer.Option(
        None,
        "--location",
        help="Where the loudspeakers stand, LAT,LON in decimal degrees (e.g. 16.4637,107.5909),"
        " sent with --enroll: the station takes it only when an admin has set none.",
    ),
    poll_interval: float = typer.Option(60.0, "--poll-interval", help="Manifest poll, seconds."),
    heartbeat_interval: float = typer.Option(60.0, "--heartbeat-interval", help="Seconds."),
    upload_interval: float = typer.Option(5.0, "--upload-interval", help="As-run upload, seconds."),
    fetch_spread: float = typer.Option(
        60.0,
        "--fetch-spread",
        help="After a pushed change, files not needed in the next ten minutes are fetched "
        "after a random wait up to this, seconds.",
    ),
    upload_spread: float = typer.Option(
        30.0,
        "--upload-spread",
        help="The first as-run records after a quiet spell wait a random time up to this, "
        "seconds (a province's stations end a session together).",
    ),
    backoff_max: float = typer.Option(300.0, "--backoff-max", help="Longest wait after errors."),
    cache_floor_mb: int = typer.Option(
        500, "--cache-floor-mb", help="Evict unneeded audio when free space falls below this."
    ),
    no_playout: bool = typer.Option(
        False, "--no-playout", help="Only sync and report; play nothing (a test or relay box)."
    ),
    audio_output: str | None = typer.Option(
        None,
        "--audio-output",
        help="VLC audio output to the loudspeakers, e.g. alsa or pulse (default: VLC's choice).",
    ),
    player_kind: PlayerKind = typer.Option(
        PlayerKind.vlc,
        "--player",
        help="vlc: VLC plays each item on the output (--audio-output). scheduled: one "
        "PulseAudio stream, never paused, each item decoded by ffmpeg and placed on the "
        "sample (heard within a few ms of its time; needs ffmpeg and PulseAudio).",
    ),
    capture_dir: Path | None = typer.Option(
        None,
        "--capture-dir",
        help="Write what plays into WAV files here, one per item, instead of the sound card "
        "(for trials without loudspeakers).",
    ),
    output_latency_ms: int = typer.Option(
        0,
        "--output-latency-ms",
        help="What the sound card adds before the loudspeaker sounds (measure it with "
        "benchmarks.playout --aout): every item starts that much earlier, milliseconds.",
    ),
    ca_file: Path | None = typer.Option(
        None,
        "--ca-file",
        exists=True,
        dir_okay=False,
        help="Trust only this CA for the server's HTTPS and the broker's TLS (pinned), "
        "instead of the system's.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request's outcome."),
) -> None:
    """Run the station agent: play the schedule on time, sync the manifest and audio, keep the
    as-run log (nhật ký phát sóng), report health.

    The agent keeps playing from its saved manifest and cached audio while the server is out
    of reach, and uploads what it played when the server is back.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.INFO if verbose else logging.WARNING)
    try:
        config = AgentConfig(
            server=server,
            data_dir=private_dir(data_dir),
            poll_interval_s=poll_interval,
            heartbeat_interval_s=heartbeat_interval,
            upload_interval_s=upload_interval,
            upload_spread_s=upload_spread,
            fetch_spread_s=fetch_spread,
            backoff_max_s=backoff_max,
            cache_floor_bytes=cache_floor_mb * 1024 * 1024,
            output_latency_ms=output_latency_ms,
            ca_file=ca_file.resolve() if ca_file else None,
        )
    except ValidationError as exc:
        _fail(f"invalid option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
    if config.server.scheme == "http" and config.server.host not in ("127.0.0.1", "localhost"):
        typer.secho(
            "warning: plain http: the station token crosses the network unencrypted; "
            "use https:// for a real server",
            fg=typer.colors.YELLOW,
            err=True,
        )
    try:
        where = AgentLocation.parse(location) if location else None
    except ValueError as exc:
        _fail(f"--location {exc}")
    saved = _credentials(config, enroll_code, hardware_id or _machine_id(), where)
    if enroll_only:
        typer.echo(f"enrolled as station #{saved.station_id}; token in {config.data_dir}")
        return
    player = None if no_playout else _player(player_kind, audio_output, capture_dir)
    typer.echo(f"station #{saved.station_id}: agent {agent_version()} syncing with {server}")
    try:
        asyncio.run(_run(Agent(config, saved, player)))
    finally:
        if player is not None:
            player.close()


def _player(kind: PlayerKind, output: str | None, capture_dir: Path | None) -> Player:
    if kind == PlayerKind.scheduled:
        return _scheduled_player(output, capture_dir)
    if capture_dir is None and output is None and not has_sound_card():
        typer.secho(
            "warning: no sound card found (/dev/snd): items will be recorded as failed; "
            "pass --capture-dir DIR to write what plays into WAV files instead",
            fg=typer.colors.YELLOW,
            err=True,
        )
    if capture_dir is not None:
        typer.echo(f"capturing what plays into {capture_dir.resolve()}")
    try:
        player = VlcPlayer(output=output, capture_dir=capture_dir)
    except (RuntimeError, OSError) as exc:
        _fail(f"cannot start the player: {exc}")
    plugins, cache = plugin_cache()
    if plugins is not None and cache is None:
        typer.secho(
            f"warning: VLC's plugin cache ({plugins / 'plugins.dat'}) is missing, so VLC "
            "loads every one of its plugins (about 40 MB more memory): write it, as root, "
            f"with {plugins.parent / 'vlc-cache-gen'} {plugins} (Debian's libvlc-bin)",
            fg=typer.colors.YELLOW,
            err=True,
        )
    return player


def _scheduled_player(output: str | None, capture_dir: Path | None) -> Player:
    if capture_dir is not None or output not in (None, "pulse"):
        _fail(
            "--player scheduled plays on PulseAudio only: leave out --capture-dir and "
            "--audio-output (or use --player vlc)"
        )
    if shutil.which("ffmpeg") is None:
        _fail("--player scheduled needs ffmpeg: apt-get install ffmpeg")
    try:
        return ScheduledPlayer()
    except OutputError as exc:
        _fail(f"cannot start the player: {exc}")


def _credentials(
    config: AgentConfig, code: str | None, hardware_id: str, location: AgentLocation | None
) -> credentials.Credentials:
    saved = credentials.load(config.data_dir)
    if saved is not None:
        if code:
            typer.echo(
                f"already enrolled as station #{saved.station_id}: --enroll ignored "
                f"(delete {config.data_dir / credentials.TOKEN_FILE} to enrol again)"
            )
        if location:
            typer.echo(
                f"already enrolled as station #{saved.station_id}: --location ignored (an "
                "admin sets it: PATCH /api/v1/stations/{id} with latitude and longitude)"
            )
        return saved
    if not code:
        revoked = sorted(config.data_dir.glob(credentials.REVOKED_FILE.format(at="*")))
        why = f"its token was revoked by the server ({revoked[-1].name})" if revoked else ""
        _fail(
            f"this agent is not enrolled{': ' + why if why else ''}: ask an admin for an "
            "enrolment code (POST /api/v1/stations/{id}/enrollment-code) and pass --enroll CODE"
        )
    request = EnrollRequest(
        code=code, hardware_id=hardware_id, agent_version=agent_version(), location=location
    )
    try:
        reply = asyncio.run(enroll(config, request))
    except Exception as exc:
        _fail(f"could not enrol with {config.base_url}: {exc}")
    saved = credentials.Credentials(station_id=reply.station_id, token=reply.token)
    # A manifest from before belongs to whatever this device was enrolled as then.
    (config.data_dir / MANIFEST_FILE).unlink(missing_ok=True)
    credentials.save(config.data_dir, saved)
    given = reply.push_credentials
    login = credentials.PushLogin(given.username, given.password) if given else None
    credentials.save_push(config.data_dir, login)
    return saved


async def _run(agent_: Agent) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await agent_.run()
    except asyncio.CancelledError:
        typer.echo("agent stopped")


def _machine_id() -> str:
    for source in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        try:
            value = source.read_text().strip()
        except OSError:
            continue
        if value:
            return f"{platform.node()}/{value[:12]}"
    return platform.node() or "unknown"


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


# `loaxa agent ...` runs through this small app (cli/entry.py); `loaxa --help` lists the
# same command in the full app.
agent_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
agent_app.command("agent")(agent)


@agent_app.callback()
def _agent_group() -> None:
    """Loaxa station agent."""
