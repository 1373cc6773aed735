"""What machine a benchmark ran on, for its report."""

from __future__ import annotations

import os
import platform
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
