"""`loaxa playlists ...`: the built playlists (lịch phát) of every station."""

from __future__ import annotations

import typer

from cli.context import fail, settings
from core.clock import SystemClock
from core.db import Database
from scheduler.keeper import PlaylistKeeper

app = typer.Typer(help="Stations' built playlists (lịch phát).", no_args_is_help=True)


@app.command("rebuild")
def rebuild() -> None:
    """Rebuild every station's playlist for the horizon now, showing progress.

    The server's scheduler does this by itself after local midnight and rebuilds changed
    stations within seconds; run this after restoring a backup, or to see the figures.
    A station whose playlist comes out the same keeps its version.
    """
    config = settings()
    database = Database(config.database_url)
    keeper = PlaylistKeeper(
        database=database,
        clock=SystemClock(),
        horizon_days=config.horizon_days,
        timezone=config.default_timezone,
    )
    try:
        with typer.progressbar(length=1, label="building", file=None) as bar:
            shown = [0]

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - shown[0])
                shown[0] = done

            report = keeper.rebuild_all(progress=progress)
    finally:
        database.dispose()
    if report is None:
        fail(
            "the server's scheduler wrote builds while this one ran; nothing was written "
            "(its builds are current — run this again to rebuild anyway)"
        )
    typer.echo(
        f"{report.stations} station(s) in {report.rules} distinct rule set(s) built for "
        f"{config.horizon_days} day(s); {len(report.changed)} got a new version"
    )
