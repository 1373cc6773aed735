"""The agent load benchmark's processes: the servers (Loaxa and the bare baseline, both under
uvicorn with the same settings), the load generator processes, and a real station agent
whose memory and idle CPU are sampled from /proc. Every process started here is stopped by
`Processes.stop_all` (terminate, then kill), which the benchmark calls in a finally."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from stations.agent.credentials import Credentials, save
from stations.agent.files import private_dir

ROOT = Path(__file__).resolve().parent.parent
LOAXA = str(Path(sys.executable).parent / "loaxa")
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# The server's packages, hidden from the agent started "as on a Raspberry Pi" (an agent-only
# install): any import of them fails there, as it would on the Pi.
SERVER_PACKAGES = (
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "pydub",
    "uvicorn",
    "pydantic_settings",
    "yaml",
    "argon2",
    "psycopg",
    "multipart",
    "python_multipart",
    "vietnam_provinces",
)
PI_LAUNCHER = (
    "import sys; sys.modules.update(dict.fromkeys({packages!r})); "
    "sys.argv[0] = 'loaxa'; from cli.entry import main; main()"
)

Say = Callable[[str], None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without LOAXA_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOAXA_")}
    env.update(extra)
    return env


class Processes:
    """Every child process of the benchmark, with its log file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._children: list[tuple[subprocess.Popen[bytes], TextIO]] = []

    def start(
        self, name: str, command: Sequence[str], env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen(
            list(command), env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
        )
        self._children.append((process, log))
        return process

    def log_tail(self, process: subprocess.Popen[bytes], lines: int = 30) -> str:
        for child, log in self._children:
            if child is process:
                log.flush()
                return "\n".join(Path(log.name).read_text().splitlines()[-lines:])
        return ""

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for child, log in self._children:
            if child is process:
                log.close()
        self._children = [(c, log) for c, log in self._children if c is not process]

    def stop_all(self) -> None:
        for process, _ in list(reversed(self._children)):
            self.stop(process)


@dataclass(frozen=True, slots=True)
class Server:
    name: str
    base: str
    port: int
    process: subprocess.Popen[bytes]


def uvicorn_command(app: str, port: int, workers: int, *, factory: bool) -> list[str]:
    """The same uvicorn settings for Loaxa and the baseline (access log on, as in
    `loaxa server`; uvloop and httptools when installed, as uvicorn picks by itself)."""
    command = [sys.executable, "-m", "uvicorn", app, "--app-dir", str(ROOT)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "info"]
    return [*command, "--factory"] if factory else command


def start_server(
    processes: Processes,
    name: str,
    app: str,
    *,
    workers: int,
    factory: bool,
    env: dict[str, str],
    ready_path: str,
) -> Server:
    port = free_port()
    process = processes.start(
        name, uvicorn_command(app, port, workers, factory=factory), env, processes.folder
    )
    server = Server(name, f"http://127.0.0.1:{port}", port, process)
    if not wait_ready(server, ready_path, READY_TIMEOUT_S):
        tail = processes.log_tail(process)
        raise RuntimeError(
            f"{name} not ready in {READY_TIMEOUT_S:.0f} s (exit {process.poll()}):\n{tail}"
        )
    return server


def start_loaxa(
    processes: Processes, url: str, data_dir: Path, extra: dict[str, str] | None = None
) -> Server:
    """The real `loaxa server`, as deployed (its scheduler on), on a free port, with the
    LOAXA_* settings in `extra`. Started after the setup: on SQLite its start writes, and a
    setup's batch holding the one writer's lock longer than the busy timeout would fail it."""
    port = free_port()
    env = clean_env({"LOAXA_DATABASE_URL": url, "LOAXA_DATA_DIR": str(data_dir), **(extra or {})})
    process = processes.start(
        "server", [LOAXA, "server", "--port", str(port)], env, processes.folder
    )
    server = Server("loaxa", f"http://127.0.0.1:{port}", port, process)
    if not wait_ready(server, "/readyz", READY_TIMEOUT_S):
        tail = processes.log_tail(server.process)
        raise RuntimeError(f"the server was not ready in {READY_TIMEOUT_S:.0f} s:\n{tail}")
    return server


def wait_ready(server: Server, path: str, timeout_s: float) -> bool:
    """Does the server answer 200 on `path` within timeout_s?"""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            if httpx.get(server.base + path, timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for readiness
    return False


def run_generators(
    processes: Processes,
    specs: list[dict[str, Any]],
    timeout_s: float,
    module: str = "benchmarks.agent_load_client",
) -> list[dict[str, Any]]:
    """One generator process (`python -m module SPEC RESULT`) per spec, all at once; their
    results."""
    started = []
    for number, spec in enumerate(specs):
        spec_path = processes.folder / f"load-{number}.json"
        result_path = processes.folder / f"load-{number}.result.json"
        result_path.unlink(missing_ok=True)
        spec_path.write_text(json.dumps(spec))
        command = [sys.executable, "-m", module]
        process = processes.start(
            f"load-{number}", [*command, str(spec_path), str(result_path)], clean_env({}), ROOT
        )
        started.append((process, result_path))
    results = []
    for process, result_path in started:
        try:
            code = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError("a load generator did not finish in time") from exc
        if code != 0 or not result_path.exists():
            raise RuntimeError(f"a load generator failed ({code}):\n{processes.log_tail(process)}")
        processes.stop(process)
        results.append(json.loads(result_path.read_text()))
    return results


# the agent's footprint -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Footprint:
    label: str
    sync_s: float
    idle_rss_mb: float  # the largest VmRSS sampled while idle
    peak_rss_mb: float  # VmHWM at the end: the peak since the process started
    idle_cpu_pct: float  # of one core, over the idle period


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def measure_agents(
    processes: Processes,
    server: str,
    agents: list[tuple[str, Credentials]],
    sha256: str,
    idle_s: float,
    say: Say,
) -> list[Footprint]:
    """Start the agents at once (each with its saved token), wait until each has synced
    (its manifest saved and the audio file verified in its cache), then sample them all
    through one idle period."""
    running = []
    for label, credentials in agents:
        folder = private_dir(processes.folder / f"agent-{credentials.station_id}")
        save(folder, credentials)
        options = ["agent", "--server", server, "--data-dir", str(folder)]
        if label == "pi":
            launcher = PI_LAUNCHER.format(packages=SERVER_PACKAGES)
            command = [sys.executable, "-c", launcher, *options]
        else:
            command = [LOAXA, *options]
        process = processes.start(f"agent-{label}", command, clean_env({}), folder)
        running.append((label, folder, process, time.monotonic()))
    synced: dict[str, float] = {}
    deadline = time.monotonic() + READY_TIMEOUT_S
    while len(synced) < len(running):
        for label, folder, process, began in running:
            if process.poll() is not None:
                raise RuntimeError(f"agent {label} exited:\n{processes.log_tail(process)}")
            done = (folder / "cache" / sha256).exists() and (folder / "manifest.json").exists()
            if label not in synced and done:
                synced[label] = time.monotonic() - began
        if time.monotonic() > deadline:
            raise RuntimeError(f"the agents did not sync in {READY_TIMEOUT_S:.0f} s")
        time.sleep(0.05)  # polling the agents' folders
    time.sleep(min(1.0, idle_s))  # let the first sync's work finish
    say(f"agents synced; sampling them idle for {idle_s:g} s")
    pids = {label: process.pid for label, _, process, _ in running}
    cpu = {label: _cpu_seconds(pid) for label, pid in pids.items()}
    rss = dict.fromkeys(pids, 0)
    began = time.monotonic()
    while (elapsed := time.monotonic() - began) < idle_s:
        for label, pid in pids.items():
            rss[label] = max(rss[label], _status_kb(pid, "VmRSS"))
        time.sleep(min(0.5, idle_s - elapsed))  # the sampling period
    elapsed = time.monotonic() - began
    found = [
        Footprint(
            label=label,
            sync_s=synced[label],
            idle_rss_mb=max(rss[label], _status_kb(pid, "VmRSS")) / 1024,
            peak_rss_mb=_status_kb(pid, "VmHWM") / 1024,
            idle_cpu_pct=(_cpu_seconds(pid) - cpu[label]) / elapsed * 100,
        )
        for label, pid in pids.items()
    ]
    for _, _, process, _ in running:
        processes.stop(process)
    return found
