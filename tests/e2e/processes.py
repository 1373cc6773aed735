"""Real `loaxa server` and `loaxa agent` processes on loopback, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.cli.helpers import LOAXA, loaxa_env

READY_TIMEOUT_S = 60.0  # a loaded machine takes its time; a server that never answers still fails
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], T], *, timeout: float, what: str, log: Path | None = None) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = f"\n--- {log} ---\n{log.read_text()[-4000:]}" if log and log.exists() else ""
            pytest.fail(f"{what}: not within {timeout} s{tail}")
        time.sleep(0.01)  # polling for a result, not waiting for one to happen


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.args, self.env, self.log, self.cwd = args, env, log, cwd
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("a") as out:
            self.popen = subprocess.Popen(
                self.args, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as when the power goes."""
        if self.popen is not None and self.alive():
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


class Server(Process):
    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        tmp: Path,
        port: int | None = None,
        settings: dict[str, str] | None = None,
        options: tuple[str, ...] = (),
    ):
        self.port = port or free_port()
        env = loaxa_env(
            {
                "LOAXA_DATABASE_URL": database_url,
                "LOAXA_DATA_DIR": str(data_dir),
                "LOAXA_SCHEDULER_INTERVAL_S": "0.2",
                **(settings or {}),
            }
        )
        args = [LOAXA, "server", "--port", str(self.port), *options]
        super().__init__(args, env, tmp / f"server-{self.port}.log", tmp)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        super().start()
        try:
            wait_for(self._ready, timeout=READY_TIMEOUT_S, what="server ready", log=self.log)
        except BaseException:
            self.stop()  # a server that never got ready is not left running after the test
            raise
        return self

    def _ready(self) -> bool:
        if not self.alive():
            pytest.fail(f"server exited:\n{self.text()}")
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


class Agent(Process):
    def __init__(self, server_url: str, data_dir: Path, tmp: Path, *options: str) -> None:
        args = [LOAXA, "agent", "--server", server_url, "--data-dir", str(data_dir), *options]
        self.data_dir = data_dir
        super().__init__(args, loaxa_env(), tmp / f"agent-{data_dir.name}.log", tmp)
