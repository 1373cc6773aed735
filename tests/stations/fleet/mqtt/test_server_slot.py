"""Server processes' MQTT client ids: one slot per running process of an install, the
lowest free one, given back when the process lets go (or dies), never shared between
installs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stations.fleet.mqtt.server_slot import claim_slot


def test_running_processes_hold_distinct_slots_and_a_freed_one_is_taken_again(
    tmp_path: Path,
) -> None:
    first, second = claim_slot(tmp_path), claim_slot(tmp_path)
    assert (first.number, second.number) == (0, 1)
    assert first.client_id != second.client_id
    first.release()
    again = claim_slot(tmp_path)
    assert (again.number, again.client_id) == (0, first.client_id)
    again.release()
    second.release()


def _client_id_in_another_process(data_dir: Path) -> str:
    code = (
        "import sys; from pathlib import Path;"
        "from stations.fleet.mqtt.server_slot import claim_slot;"
        "print(claim_slot(Path(sys.argv[1])).client_id)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)],
        cwd=Path(__file__).resolve().parents[4],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_dead_process_leaves_its_slot_to_the_next(tmp_path: Path) -> None:
    held = claim_slot(tmp_path)
    try:
        out = _client_id_in_another_process(tmp_path)
        # Slot 0 is held here, so the other process took slot 1, and, once it has exited,
        # slot 1 is free again: the next process takes the same id.
        assert out.endswith("-1")
        again = _client_id_in_another_process(tmp_path)
        assert again == out
    finally:
        held.release()


def test_two_installs_on_one_host_never_share_an_id(tmp_path: Path) -> None:
    one, other = claim_slot(tmp_path / "one"), claim_slot(tmp_path / "other")
    assert one.number == other.number == 0
    assert one.client_id != other.client_id
    one.release()
    other.release()
