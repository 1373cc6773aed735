"""`loaxa demo` as a person (or CI) runs it: real server and agent processes, real audio."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.cli.helpers import LOAXA, loaxa_env, run_loaxa
from tests.e2e.processes import free_port

GOOD = {"played", "partial"}


def demo_args(port: int, root: Path, *more: str) -> list[str]:
    # --wav: the same outcome whether or not this machine has a sound card.
    return [LOAXA, "demo", "--port", str(port), "--dir", str(root), "--wav", *more]


def asrun_rows(root: Path) -> list[tuple[int, int, str]]:
    with sqlite3.connect(root / "loaxa.db") as db:
        return list(db.execute("SELECT station_id, content_id, result FROM asrun"))


def leftovers(*marks: str) -> list[str]:
    """Command lines of processes still running that name any of `marks`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(mark in text for mark in marks):
            found.append(text)
    return found


def test_demo_plays_the_session_on_both_stations(tmp_path: Path) -> None:
    port, root = free_port(), tmp_path / "demo"
    started = time.monotonic()
    done = subprocess.run(
        demo_args(port, root, "--until-played", "--timeout", "240", "--lead", "15"),
        env=loaxa_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr

    rows = asrun_rows(root)
    by_station: dict[int, set[int]] = {}
    for station, content, result in rows:
        assert result in GOOD, rows
        by_station.setdefault(station, set()).add(content)
    # Three items (the jingle and two bulletins) at each of the two stations.
    assert {station: len(items) for station, items in by_station.items()} == {1: 3, 2: 3}, rows

    for number in (1, 2):
        played = root / f"station-{number}" / "played"
        wavs = sorted(played.glob("*.wav"))
        assert len(wavs) >= 3, wavs
        assert all(w.stat().st_size > 44 for w in wavs)  # more than a WAV header
        assert str(played) in done.stdout
    assert f"http://127.0.0.1:{port}/docs" in done.stdout
    assert f"http://127.0.0.1:{port}/api/v1/asrun" in done.stdout
    assert "Every station reported every item of the session." in done.stdout
    assert took < 180, f"the demo took {took:.0f} s"
    assert not leftovers(str(root), f"--port {port}")


def test_a_taken_port_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        done = run_loaxa("demo", "--port", str(port), "--dir", str(tmp_path / "demo"))
    assert done.returncode != 0
    assert f"port {port} is in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo").exists()


def test_a_directory_with_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    done = run_loaxa("demo", "--port", str(free_port()), "--dir", str(tmp_path))
    assert done.returncode != 0
    assert "not made by `loaxa demo`" in done.stderr
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_ctrl_c_stops_everything_cleanly(tmp_path: Path) -> None:
    port, root = free_port(), tmp_path / "demo"
    log = tmp_path / "demo.out"
    with log.open("w") as out:
        demo = subprocess.Popen(
            demo_args(port, root), env=loaxa_env(), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while "Press Ctrl-C to stop." not in log.read_text():
            assert demo.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        demo.send_signal(signal.SIGINT)
        code = demo.wait(60)
    finally:
        if demo.poll() is None:
            demo.kill()
    output = log.read_text()
    assert code == 0, output
    assert "Traceback" not in output
    assert "SIGINT: stopping the stations, then the server" in output
    assert "As-run records (nhật ký phát sóng), per station:" in output
    assert not leftovers(str(root), f"--port {port}")
    for agent_log in root.glob("station-*/agent.log"):
        assert "Traceback" not in agent_log.read_text()
    assert "Traceback" not in (root / "server.log").read_text()


def test_sigterm_while_seeding_stops_it_too(tmp_path: Path) -> None:
    port, root = free_port(), tmp_path / "demo"
    demo = subprocess.Popen(
        demo_args(port, root), env=loaxa_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert demo.stdout is not None
    for line in demo.stdout:
        if b"server ready" in line:
            break
    demo.send_signal(signal.SIGTERM)  # while seeding: the server alone is running
    rest = demo.communicate(timeout=60)[0].decode()
    assert demo.returncode == 0, rest
    assert "Traceback" not in rest
    assert "SIGTERM: stopping" in rest
    assert not leftovers(str(root), f"--port {port}")


def test_a_timeout_ends_it_with_what_was_missing(tmp_path: Path) -> None:
    port, root = free_port(), tmp_path / "demo"
    done = subprocess.run(
        demo_args(port, root, "--until-played", "--timeout", "1"),
        env=loaxa_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert "error: timed out after 1 s; no as-run record yet for Cụm loa thôn Đông" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "stopped: the stations and the server" in done.stdout
    assert not leftovers(str(root), f"--port {port}")
