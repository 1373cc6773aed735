"""`loaxa demo`: the whole system on one machine."""

from __future__ import annotations

from pathlib import Path

import typer

from demo.run import DemoOptions, run_demo


def demo(
    directory: Path = typer.Option(
        Path("var/demo"),
        "--dir",
        help="Where the demo keeps its database, audio, logs and WAV files; wiped at the "
        "start of each run (only if a previous demo made it).",
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="The server's port."),
    until_played: bool = typer.Option(
        False,
        "--until-played",
        help="Exit (0) once both stations have reported every item of the session; "
        "exit 1 if an item failed.",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=1, help="Give up after this many seconds (exit 1)."
    ),
    wav: bool = typer.Option(
        False, "--wav", help="Write what plays into WAV files even when there is a sound card."
    ),
    audio_output: str | None = typer.Option(
        None, "--audio-output", help="VLC audio output for the stations, e.g. pulse or alsa."
    ),
    lead: float = typer.Option(
        35.0,
        "--lead",
        min=5,
        max=3600,
        help="Seconds from the end of seeding to the session's start (time for the stations "
        "to enrol and fetch the audio).",
    ),
) -> None:
    """Run the whole system on this machine: the server on SQLite, a commune (xã) with its
    users, two approved text-to-speech bulletins in Vietnamese and a jingle (nhạc hiệu), a
    session (phiên phát) starting within a minute, and two station agents playing it — to
    the sound card if there is one, else into WAV files.

    It prints where to look (API docs, the stations' status, the as-run log, the sign-ins)
    and each as-run record as it arrives. Ctrl-C stops it all cleanly.
    """
    options = DemoOptions(
        root=directory,
        port=port,
        until_played=until_played,
        timeout_s=timeout,
        wav=wav,
        audio_output=audio_output,
        lead_s=lead,
    )
    code = run_demo(options=options, out=typer.echo, err=_error)
    raise typer.Exit(code)


def _error(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
