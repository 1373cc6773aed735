"""Ingest benchmark: Loaxa's ingest against bare ffmpeg doing one decode, one measure and
one encode of the same file, in the same run; wall time and peak memory, medians.

    .venv/bin/python -m benchmarks.ingest --minutes 60 --runs 3
    .venv/bin/python -m benchmarks.ingest --minutes 120 --runs 1   # the memory target

Each run happens in a fresh process. Peak memory is the largest total resident memory of
that process and everything it starts (ffmpeg), sampled every 20 ms from /proc, and the
Python process's own high-water mark (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FFMPEG = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
SAMPLE_S = 0.02


def make_input(path: Path, minutes: float) -> Path:
    """A 64 kbit/s mono MP3 like a phone recording: a speech-band tone pulsing at syllable
    rate over pink noise, quiet (about -31 LUFS), so the ingest has real gain to apply."""
    seconds = minutes * 60
    graph = (
        f"sine=f=300:d={seconds}:r=44100,tremolo=f=4:d=0.7[s];"
        f"anoisesrc=d={seconds}:c=pink:a=0.2:r=44100[n];[s][n]amix=inputs=2"
    )
    command = [*FFMPEG, "-filter_complex", graph, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k"]
    subprocess.run([*command, str(path)], check=True)
    return path


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [root], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


def worker(mode: str, source: Path) -> None:
    """One measured run, printed as JSON (called in a child process)."""
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        if mode == "loaxa":
            from audio.ingest import IngestSettings, ingest_file

            ingest_file(source=source, work_dir=Path(work), settings=IngestSettings())
        else:
            out = Path(work) / "out.opus"
            subprocess.run([*FFMPEG, "-i", str(source), "-f", "null", "-"], check=True)
            subprocess.run(
                [*FFMPEG, "-i", str(source), "-af", "ebur128", "-f", "null", "-"],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [
                    *FFMPEG,
                    "-i",
                    str(source),
                    "-ac",
                    "1",
                    "-ar",
                    "48000",
                    "-c:a",
                    "libopus",
                    "-b:a",
                    "32k",
                    str(out),
                ],
                check=True,
            )
        elapsed = time.perf_counter() - started
    python_mb = _status_kb(os.getpid(), "VmHWM") / 1024
    print(json.dumps({"seconds": elapsed, "python_mb": python_mb}))  # noqa: T201


def _run(mode: str, source: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.ingest", "--worker", mode, str(source)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak_kb = 0
    while process.poll() is None:
        peak_kb = max(peak_kb, sum(_status_kb(pid, "VmRSS") for pid in _tree(process.pid)))
        time.sleep(SAMPLE_S)  # sampling memory, not waiting for a result
    output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{mode} run failed with exit code {process.returncode}")
    measured: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    measured["peak_tree_mb"] = peak_kb / 1024
    return measured


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the test file")
    parser.add_argument("--runs", type=int, default=3, help="runs of each, medians reported")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]))
        return {}
    with tempfile.TemporaryDirectory() as folder:
        source = make_input(Path(folder) / "input.mp3", args.minutes)
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "loaxa": []}
        for _ in range(args.runs):
            for mode in runs:  # interleaved, so drift in the machine hits both alike
                runs[mode].append(_run(mode, source))
    summary = {
        mode: {key: statistics.median(r[key] for r in results) for key in results[0]}
        for mode, results in runs.items()
    }
    _report(args.minutes, args.runs, summary)
    return summary


def _report(minutes: float, runs: int, summary: dict[str, dict[str, float]]) -> None:
    ratio = summary["loaxa"]["seconds"] / summary["baseline"]["seconds"]
    lines = [
        f"ingest of {minutes:g} min of 64 kbit/s mono MP3, median of {runs} run(s)",
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}",
        f"{'':10} {'wall s':>8} {'peak MB, all processes':>23} {'python MB':>10}",
    ]
    for mode in ("baseline", "loaxa"):
        row = summary[mode]
        lines.append(
            f"{mode:10} {row['seconds']:8.2f} {row['peak_tree_mb']:23.1f} {row['python_mb']:10.1f}"
        )
    lines.append(f"loaxa / baseline wall time: {ratio:.2f}x (target <= 1.5x)")
    print("\n".join(lines))  # noqa: T201


if __name__ == "__main__":
    main()
