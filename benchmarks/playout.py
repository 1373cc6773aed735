"""Playout benchmark: how close to their planned start the agent's playout engine starts
items, and how much silence it leaves between soft items chained back to back, against a
bare asyncio loop calling the same kind of player at the same moments, in the same run.

    .venv/bin/python -m benchmarks.playout                 # full size: 60 items, one run
    .venv/bin/python -m benchmarks.playout --runs 3        # medians of three runs
    .venv/bin/python -m benchmarks.playout --aout pulse    # a paced output (DESIGN.md),
                                                           # each start heard in its recording

The timeline starts a couple of seconds after launch: groups of a hard item at a set time
and four soft items chained behind it (1-2 s Opus tones made with ffmpeg), with silence
between groups. The engine runs it with the real clock, a real outbox and a real VlcPlayer;
the baseline sleeps with asyncio until each planned start and calls `play` on its own
VlcPlayer, with no decision and no outbox. Each is timed two ways: by its own timestamp
right before `play` (the engine's `started_at`), and by VLC's Playing event; with
`--aout pulse`, also as heard: PulseAudio's null sink recorded, each item's start found in
the recording (playout_heard.py). Targets: start error p99 <= 50 ms and every soft-item gap
<= 100 ms by the own clock; heard, what a loudspeaker emits, p99 <= 10 ms and <= 20 ms.

By default each play is captured into a WAV (VLC's afile output), which is not paced: VLC
runs faster than real time, so its Playing event is the only VLC time that means anything
here; the items' ends are the engine's own clock. Engine and baseline runs are interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from audio.container import CANONICAL_FORMAT
from audio.player import Player
from audio.scheduled_player import DEFAULT_AHEAD_S, ScheduledPlayer
from audio.vlc_player import VlcPlayer
from benchmarks.playout_heard import SINK, Recording, heard_starts, null_sink
from benchmarks.playout_passes import (
    CONTAINERS,
    PassResult,
    baseline_pass,
    engine_pass,
    make_tones,
    plan,
    wall_now,
    warm_up,
)
from benchmarks.playout_report import medians, report, summarize

MODES = ("engine", "baseline")


def _player(args: argparse.Namespace, capture_dir: Path) -> Player:
    player: Player
    if args.player == "scheduled":
        player = ScheduledPlayer()
    elif args.aout is not None:
        player = VlcPlayer(output=args.aout)
    else:
        player = VlcPlayer(capture_dir=capture_dir)
    if not args.prepare:  # each play opens its source, as before the player could prepare
        setattr(player, "prepare", lambda source: None)  # noqa: B010
    return player


def _lead(args: argparse.Namespace) -> timedelta:
    """How early to act: the output's latency as measured, and the scheduled player's own."""
    own = DEFAULT_AHEAD_S if args.player == "scheduled" else 0.0
    return timedelta(milliseconds=args.output_latency_ms, seconds=own)


async def _one_pass(
    mode: str, run: int, args: argparse.Namespace, tones: list[tuple[str, float]], work: Path
) -> PassResult:
    label = f"run {run + 1}/{args.runs}, {mode}"
    lead = _lead(args)
    # The player is made before the timeline is planned, so its start-up is not measured.
    player = _player(args, work / f"capture-{mode}-{run}")
    recording = Recording(SINK) if args.aout == "pulse" else None
    try:
        items = plan(tones, wall_now() + timedelta(seconds=args.lead_s))
        if mode == "engine":
            outbox = work / f"outbox-{run}.sqlite3"
            result = await engine_pass(label, items, player, outbox, lead)
        else:
            result = await baseline_pass(label, items, player, lead)
    finally:
        player.close()
        heard = recording.stop() if recording is not None else None
    if heard is None:
        return result
    return replace(result, heard=heard_starts(*heard, result.items))


async def _measure(args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    sink = null_sink() if args.aout == "pulse" else contextlib.nullcontext()
    with sink, tempfile.TemporaryDirectory(prefix="loaxa-playout-") as folder:
        work = Path(folder)
        tones = make_tones(work, args.items, args.container)
        warm_player = _player(args, work / "capture-warm-up")
        await warm_up(warm_player, tones[0][0])
        warm_player.close()
        runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
        for run in range(args.runs):
            for mode in MODES:  # interleaved, so drift in the machine hits both alike
                result = await _one_pass(mode, run, args, tones, work)
                runs[mode].append(summarize(result))
    return runs


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("at least 2 items, so there is a soft-item gap")
    return value


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=_at_least_two, default=60, help="items in a pass")
    parser.add_argument("--runs", type=int, default=1, help="runs of each, medians reported")
    parser.add_argument(
        "--aout",
        metavar="NAME",
        default=None,
        help="a VLC audio output such as pulse "
        "(default: capture each play into a WAV in a temporary directory)",
    )
    parser.add_argument(
        "--container",
        choices=sorted(CONTAINERS),
        default=CANONICAL_FORMAT,
        help="what each item is played from: webm (Opus in WebM, the cache's format), "
        "ogg (Opus in Ogg, as stored before) or wav (PCM)",
    )
    parser.add_argument(
        "--output-latency-ms",
        type=int,
        default=0,
        help="start each item this much early, as the agent's --output-latency-ms does",
    )
    parser.add_argument(
        "--player",
        choices=("vlc", "scheduled"),
        default="vlc",
        help="vlc (VLC's own output) or scheduled (ffmpeg decoding, each start placed on "
        "the sample of one PulseAudio stream: needs --aout pulse)",
    )
    parser.add_argument(
        "--no-prepare",
        dest="prepare",
        action="store_false",
        help="never open the next item ahead on the idle player (as before it could)",
    )
    parser.add_argument(
        "--lead-s", type=float, default=2.0, help="from planning a pass to its first item"
    )
    args = parser.parse_args(argv)
    if args.player == "scheduled" and args.aout != "pulse":
        parser.error("--player scheduled writes to PulseAudio: add --aout pulse")
    runs = asyncio.run(_measure(args))
    summary = {mode: medians(results) for mode, results in runs.items()}
    output = f"VLC --aout={args.aout}" if args.aout else "WAV capture (afile, not paced)"
    if args.player == "scheduled":
        output = f"the scheduled player on PulseAudio ({DEFAULT_AHEAD_S * 1000:.0f} ms ahead)"
    output += f", items from {args.container} files"
    if not args.prepare:
        output += ", the next item not prepared"
    if args.output_latency_ms:
        output += f", each started {args.output_latency_ms} ms early (--output-latency-ms)"
    report(summary, args.runs, output)
    return summary


if __name__ == "__main__":
    main()
