"""The server and the agents as child processes of the demo, each logging to its file."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from demo.layout import DemoError, Layout

HOST = "127.0.0.1"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
# Quick to react, so what an operator does shows on the stations within a second or two.
AGENT_OPTIONS = (
    "--poll-interval", "2",
    "--heartbeat-interval", "2",
    "--upload-interval", "0.5",
    "--upload-spread", "1",
    "--fetch-spread", "1",
    "--backoff-max", "2",
)  # fmt: skip


def loaxa_command() -> list[str]:
    """How to run `loaxa` again: the script beside this Python when installed, else the
    entry point through this Python."""
    script = Path(sys.executable).parent / "loaxa"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from cli.entry import main; main()"]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As uvicorn binds: a socket lingering in TIME_WAIT does not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


@dataclass
class Child:
    name: str
    log: Path
    popen: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; returns its exit code."""
        if self.alive():
            self.popen.terminate()
        try:
            return self.popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(STOP_TIMEOUT_S)

    def tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


def _die_with_the_demo() -> None:
    """Linux: the child gets SIGTERM if the demo itself is killed (SIGKILL leaves no chance
    to clean up), so no server is left holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(name: str, args: list[str], *, log: Path, env: dict[str, str]) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        # A session of their own: Ctrl-C in the terminal reaches the demo alone, which then
        # stops the children in order (agents first, so their last records still upload).
        popen = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_the_demo if sys.platform == "linux" else None,
        )
    return Child(name=name, log=log, popen=popen)


def start_server(*, layout: Layout, port: int) -> Child:
    env = dict(os.environ)
    env.update(
        {
            "LOAXA_DATABASE_URL": layout.database_url,
            "LOAXA_DATA_DIR": str(layout.data_dir),
            "LOAXA_SCHEDULER_INTERVAL_S": "0.5",
        }
    )
    args = [*loaxa_command(), "server", "--host", HOST, "--port", str(port)]
    return spawn("server", args, log=layout.server_log, env=env)


def wait_until_ready(*, server: Child, url: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise DemoError(f"the server exited (see {server.log}):\n{server.tail()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise DemoError(f"the server was not ready within {timeout:.0f} s (see {server.log})")


def start_agent(
    *, layout: Layout, number: int, url: str, code: str, capture: bool, output: str | None
) -> Child:
    args = [
        *loaxa_command(),
        "agent",
        "--server",
        url,
        "--data-dir",
        str(layout.agent_data(number)),
    ]
    args += ["--enroll", code, "--hardware-id", f"loaxa-demo-{number}", *AGENT_OPTIONS]
    if capture:
        args += ["--capture-dir", str(layout.capture_dir(number))]
    elif output is not None:
        args += ["--audio-output", output]
    return spawn(f"station-{number}", args, log=layout.agent_log(number), env=dict(os.environ))
