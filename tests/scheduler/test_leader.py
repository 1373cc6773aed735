"""One leader at a time, and a takeover when the leader's process is killed — on each
backend's own lock (PostgreSQL advisory lock, a file lock beside SQLite's data)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from core.db import Database
from scheduler.leader import Leadership
from scheduler.service import leadership_for

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from pathlib import Path
from core.db import Database
from scheduler.service import leadership_for
lead = leadership_for(Database(sys.argv[1]), Path(sys.argv[2]))
print("held" if lead.holds() else "refused", flush=True)
time.sleep(600)
"""


def _wait_for_lead(leadership: Leadership, seconds: float = 10.0) -> float:
    started = time.monotonic()
    while not leadership.holds():
        assert time.monotonic() - started < seconds, "no takeover"
        time.sleep(0.05)
    return time.monotonic() - started


def test_one_leader_at_a_time_and_takeover_after_sigkill(database_url: str, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    database = Database(database_url)
    mine = leadership_for(database, tmp_path)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert not mine.holds()
        holder.kill()  # SIGKILL: no chance to release anything
        holder.wait(timeout=10)
        _wait_for_lead(mine)
        assert mine.holds()  # and it stays leader
        other = leadership_for(Database(database_url), tmp_path)
        assert not other.holds()
        mine.release()
        _wait_for_lead(other)
        other.release()
    finally:
        holder.kill()
        mine.release()
        database.dispose()
