"""The real `loaxa server` process on loopback: starts on an empty SQLite database,
migrates, seeds an admin, answers /readyz, and signs the admin in."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import LOAXA, loaxa_env

# A minute, as for every server the tests start: a loaded machine's start-up is slow.
from tests.e2e.processes import READY_TIMEOUT_S


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = _free_port()
    env = loaxa_env({"LOAXA_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'loaxa.db'}"})
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [LOAXA, "server", "--port", str(port), "--seed-admin"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        yield base, process, log
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_ready(base: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for readiness, not waiting for a result
    pytest.fail(f"server not ready after {READY_TIMEOUT_S} s:\n{log.read_text()}")


def test_server_serves_readyz_and_the_seeded_admin_signs_in(
    server: tuple[str, subprocess.Popen[str], Path],
) -> None:
    base, _, log = server
    assert httpx.get(f"{base}/readyz").json() == {"status": "ok", "database": "sqlite"}
    match = re.search(r"username 'admin', password '([^']+)'", log.read_text())
    assert match, log.read_text()
    login = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": "admin", "password": match.group(1)}
    )
    assert login.status_code == 200
    token = login.json()["access_token"]
    areas = httpx.get(f"{base}/api/v1/areas", headers={"Authorization": f"Bearer {token}"})
    assert areas.status_code == 200
    assert [a["name"] for a in areas.json()["data"]] == ["Việt Nam"]


def test_server_stops_cleanly_on_sigterm(server: tuple[str, subprocess.Popen[str], Path]) -> None:
    _, process, log = server
    process.terminate()
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(timeout=15) in (0, -15)
    assert "Application shutdown complete" in log.read_text()


def test_operator_uploads_and_approver_approves_over_http(
    server: tuple[str, subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    """The content workflow against the real process: upload, submit, approve, download."""
    import hashlib

    from tests.audio.sounds import tone

    base, _, log = server
    admin = _sign_in(base, "admin", _seeded_password(log))
    root = httpx.get(f"{base}/api/v1/areas", headers=admin).json()["data"][0]["id"]
    for name, role in (("op", "operator"), ("ap", "approver")):
        created = httpx.post(
            f"{base}/api/v1/users",
            headers=admin,
            json={
                "username": name,
                "password": "long enough",
                "area_id": root,
                "roles": [{"role": role, "area_id": root}],
            },
        )
        assert created.status_code == 201, created.text
    operator, approver = _sign_in(base, "op", "long enough"), _sign_in(base, "ap", "long enough")
    source = tone(tmp_path / "jingle.mp3", seconds=3)
    with source.open("rb") as handle:
        uploaded = httpx.post(
            f"{base}/api/v1/content/upload",
            headers=operator,
            timeout=60,
            data={"title": "Nhạc hiệu", "area_id": str(root)},
            files={"file": ("jingle.mp3", handle, "audio/mpeg")},
        )
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    assert (
        httpx.post(f"{base}/api/v1/content/{item['id']}/submit", headers=operator).status_code
        == 200
    )
    approved = httpx.post(f"{base}/api/v1/content/{item['id']}/approve", headers=approver)
    assert approved.json()["status"] == "approved"
    audio = httpx.get(f"{base}/api/v1/content/{item['id']}/audio", headers=approver)
    assert hashlib.sha256(audio.content).hexdigest() == item["sha256"]


def _seeded_password(log: Path) -> str:
    match = re.search(r"username 'admin', password '([^']+)'", log.read_text())
    assert match, log.read_text()
    return match.group(1)


def _sign_in(base: str, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
