"""`systemd-analyze verify` over a unit of deploy/, as installed but for ExecStart's
`loaxa`, which points at this checkout's."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.cli.helpers import LOAXA


def verify_complaints(unit: Path, tmp_path: Path) -> tuple[int, list[str], str]:
    """systemd-analyze's exit code, the lines that complain of the unit, and its output."""
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/opt/loaxa/.venv/bin/loaxa", str(LOAXA)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    output = result.stdout + result.stderr
    complaints = [
        line
        for line in output.splitlines()
        if unit.name in line or "Unknown" in line or "ignoring" in line
    ]
    return result.returncode, complaints, output
