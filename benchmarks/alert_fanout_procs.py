"""The alert fan-out benchmark's other processes: the simulated agents' processes
(benchmarks/alert_fanout_client.py, driven through their stdin and stdout), the real agent
with VLC capturing to WAV, and a watcher thread that notes when something first became
true. The servers themselves are started as the agent load benchmark starts them
(benchmarks/agent_load_procs.py)."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from benchmarks.agent_load_procs import LOAXA, ROOT, Processes, clean_env
from stations.agent.credentials import Credentials, save
from stations.agent.files import private_dir
from stations.protocol import Manifest

CONNECT_CONCURRENCY = 64  # handshakes in flight per client process
QUIT_TIMEOUT_S = 30.0
AGENT_SYNC_TIMEOUT_S = 60.0


class Clients:
    """The simulated agents' processes (`module`, one spec each), driven through their
    stdin and stdout."""

    def __init__(
        self,
        folder: Path,
        name: str,
        specs: list[dict[str, Any]],
        module: str = "benchmarks.alert_fanout_client",
    ) -> None:
        self.children: list[tuple[subprocess.Popen[bytes], IO[str]]] = []
        for number, spec in enumerate(specs):
            spec_path = folder / f"{name}-clients-{number}.json"
            spec_path.write_text(json.dumps(spec))
            log = (folder / f"{name}-clients-{number}.log").open("w")
            command = [sys.executable, "-m", module, str(spec_path)]
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=clean_env({}),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
            self.children.append((process, log))

    @classmethod
    def websocket(cls, folder: Path, name: str, url: str, tokens: list[str], procs: int) -> Clients:
        """WebSocket agents on the event channel at `url`, spread round-robin over `procs`
        processes."""
        specs = [
            {
                "url": url,
                "tokens": tokens[number::procs],
                "connect_concurrency": CONNECT_CONCURRENCY,
                "open_timeout_s": 60 + len(tokens) / 100,
            }
            for number in range(min(procs, len(tokens)))
        ]
        return cls(folder, name, specs)

    def ready(self, timeout_s: float) -> tuple[int, list[str]]:
        """How many connections are held, and why the others failed."""
        replies = self._replies(timeout_s)
        errors = [f"{error} (x{n})" for r in replies for error, n in r["errors"].items()]
        return sum(r["ready"] for r in replies), errors

    def ask(self, command: dict[str, Any]) -> None:
        for process, _ in self.children:
            assert process.stdin is not None
            process.stdin.write((json.dumps(command) + "\n").encode())
            process.stdin.flush()

    def reset(self, timeout_s: float) -> None:
        """Forget the other pushes counted so far (a Cancel's, between runs)."""
        self.ask({"cmd": "reset"})
        self._replies(timeout_s)

    def collected(self, timeout_s: float) -> dict[str, Any]:
        """The replies to a collect, merged."""
        replies = self._replies(timeout_s)
        others: dict[str, int] = {}
        for reply in replies:
            for kind, count in reply["others"].items():
                others[kind] = others.get(kind, 0) + count
        samples = [r["sample"] for r in replies if r["sample"]]
        merged: dict[str, Any] = {
            "arrivals": sorted(t for r in replies for t in r["arrivals"]),
            "missing": sum(r["missing"] for r in replies),
            "closed": sum(r["closed"] for r in replies),
            "others": others,
            "sample": samples[0] if samples else None,
            "cpu_s": sum(r.get("cpu_s", 0.0) for r in replies),
        }
        if all("back" in r for r in replies):  # the MQTT agents' (benchmarks/mqtt_agents.py)
            merged["back"] = sorted(t for r in replies for t in r["back"])
            for key in ("down", "lost_sessions", "attempts"):
                merged[key] = sum(r[key] for r in replies)
        return merged

    def _replies(self, timeout_s: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        replies = []
        for process, log in self.children:
            assert process.stdout is not None
            remaining = max(0.0, deadline - time.monotonic())
            readable, _, _ = select.select([process.stdout], [], [], remaining)
            line = process.stdout.readline() if readable else b""
            if not line:
                log.flush()
                tail = Path(log.name).read_text()[-3000:]
                state = "exited" if process.poll() is not None else f"silent {timeout_s:g} s"
                raise RuntimeError(f"a client process {state}:\n{tail}")
            replies.append(json.loads(line))
        return replies

    def stop(self) -> None:
        for process, _ in self.children:
            if process.poll() is None and process.stdin is not None:
                try:
                    process.stdin.write(b'{"cmd": "quit"}\n')
                    process.stdin.flush()
                except BrokenPipeError:
                    pass
        for process, log in self.children:
            try:
                process.wait(timeout=QUIT_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.children = []


class Watch:
    """A thread polling `check` every `every_s` until it holds or `timeout_s` passes: when
    it first held (time.time()), or None."""

    def __init__(self, check: Callable[[], bool], every_s: float, timeout_s: float) -> None:
        self.at: float | None = None
        self.error: str | None = None
        self._check, self._every_s, self._timeout_s = check, every_s, timeout_s
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            try:
                if self._check():
                    self.at = time.time()
                    return
            except Exception as exc:  # reported, not raised in a thread
                self.error = f"{type(exc).__name__}: {exc}"
            time.sleep(self._every_s)  # polling: the watched thing has no callback

    def result(self) -> float | None:
        self._thread.join()
        return self.at


class RealAgent:
    """`loaxa agent` with a saved token, playing through VLC into WAV files."""

    def __init__(self, processes: Processes, server: str, credentials: Credentials) -> None:
        self.folder = private_dir(processes.folder / f"agent-{credentials.station_id}")
        self.capture = self.folder / "played"
        self.station_id = credentials.station_id
        save(self.folder, credentials)
        command = [LOAXA, "agent", "--server", server, "--data-dir", str(self.folder)]
        command += ["--capture-dir", str(self.capture), "--upload-interval", "1"]
        self._processes = processes
        self.process = processes.start("agent", command, clean_env({}), self.folder)
        self.log = processes.folder / "agent.log"

    def wait_synced(self) -> None:
        """Until its manifest and every file it lists (the chime among them) are cached and
        its event channel is connected."""
        deadline = time.monotonic() + AGENT_SYNC_TIMEOUT_S
        while not self._synced():
            if self.process.poll() is not None:
                raise RuntimeError(f"the agent exited:\n{self._processes.log_tail(self.process)}")
            if time.monotonic() > deadline:
                tail = self._processes.log_tail(self.process)
                raise RuntimeError(f"the agent did not sync in {AGENT_SYNC_TIMEOUT_S:g} s:\n{tail}")
            time.sleep(0.1)  # polling the agent's folder and log
        time.sleep(1.0)  # connected on its side: the server registers it a moment later

    def _synced(self) -> bool:
        path = self.folder / "manifest.json"
        if not path.exists() or "events: connected" not in self.log.read_text():
            return False
        manifest = Manifest.model_validate_json(path.read_bytes())
        return all((self.folder / "cache" / f.sha256).exists() for f in manifest.files)

    def captures(self) -> set[str]:
        return {p.name for p in self.capture.glob("*.wav")} if self.capture.exists() else set()
