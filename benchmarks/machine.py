"""What machine a benchmark ran on, for its report; and what every benchmark does alike: a
process tree's CPU time, its command line from its docstring, its run from the shell."""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
from collections.abc import Callable
from pathlib import Path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def describe() -> str:
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gb():.1f} GB RAM, "
        f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"python {platform.python_version()}"
    )


def load() -> str:
    """The machine's load average (1, 5, 15 min): another job on a shared machine shows."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) of a process and its live descendants so far, from
    /proc; nan once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (OSError, ValueError):
        return float("nan")
    return own + sum(c for c in map(tree_cpu_s, children) if c == c)


def doc_parser(doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's argument parser, described by its module's docstring (first line, then
    the rest as the epilog, commands included)."""
    lines = (doc or "").splitlines()
    return argparse.ArgumentParser(
        description=lines[0] if lines else "",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(lines[1:]),
    )


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the cleanup in main's finally


def run_script(main: Callable[[], object], say: Callable[[str], None], cleaned: str) -> None:
    """A benchmark run from the shell: SIGTERM or Ctrl-C ends it through main's own cleanup
    (its finally blocks), which `cleaned` says was done."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
    except KeyboardInterrupt:
        say(f"interrupted: {cleaned}")
        sys.exit(130)
