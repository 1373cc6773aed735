from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LOAXA = str(Path(sys.executable).parent / "loaxa")


def loaxa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment without LOAXA_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    # Wide enough that the error box never wraps a long temporary path mid-name.
    env["COLUMNS"] = "400"
    env.update(extra or {})
    return env


def run_loaxa(
    *args: str,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = loaxa_env(env)
    if database_url is not None:
        full_env["LOAXA_DATABASE_URL"] = database_url
    return subprocess.run(
        [LOAXA, *args],
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
