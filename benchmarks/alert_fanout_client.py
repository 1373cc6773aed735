"""Simulated station agents for the alert fan-out benchmark: one process holding many
WebSocket connections to the event channel (the `websockets` client, as the real agent's,
with its defaults), driven by the benchmark through stdin and stdout, one JSON line each.

    python -m benchmarks.alert_fanout_client SPEC.json

SPEC: {"url": "ws://…/agent/v1/events", "tokens": [...], "connect_concurrency": 64,
"open_timeout_s": 60}. Each connection sends its token as a bearer and counts as ready when
its first message arrives (Loaxa's manifest hint, the baseline's hello: both are sent once
the server holds the connection). When every connection is ready or has failed, the process
prints {"ready", "failed", "errors"}. Then, on each alert push ({"type": "alert"} carrying
an alert), a connection notes time.time() at once and sends {"type": "ack", "stage":
"received", "at": that time}, as the real agent does.

Commands: {"cmd": "collect", "alert_id", "timeout_s"} waits until every live connection
has the alert (or the timeout) and prints {"arrivals": [epoch seconds], "missing", "closed",
"others": {type: count}, "sample": the first push's text, "cpu_s": this process's CPU
time over the collect}; {"cmd": "reset"} forgets the
other pushes counted so far and prints {}; {"cmd": "quit"} closes all.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

POLL_S = 0.005  # how often a collect looks at the arrivals: not on the measured path


def raise_nofile() -> None:
    """Soft limit on open files up to the hard one: ten thousand sockets need it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Agents:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.url: str = spec["url"]
        self.open_timeout_s: float = spec.get("open_timeout_s", 60.0)
        self.arrivals: dict[str, list[float]] = {}
        self.samples: dict[str, str] = {}
        self.others: Counter[str] = Counter()
        self.ready = 0
        self.closed = 0  # after being ready
        self.errors: Counter[str] = Counter()
        self.sockets: set[ClientConnection] = set()

    async def connect(self, token: str, gate: asyncio.Semaphore) -> ClientConnection | None:
        """A connection the server holds (its first message came), or None."""
        headers = {"Authorization": f"Bearer {token}"}
        async with gate:
            try:
                socket = await connect(
                    self.url, additional_headers=headers, open_timeout=self.open_timeout_s
                )
            except Exception as exc:
                self.errors[f"connect: {type(exc).__name__}: {exc}"[:200]] += 1
                return None
            try:
                await asyncio.wait_for(socket.recv(), self.open_timeout_s)
            except Exception as exc:
                self.errors[f"first message: {type(exc).__name__}: {exc}"[:200]] += 1
                await socket.close()
                return None
        self.ready += 1
        self.sockets.add(socket)
        return socket

    async def listen(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                at = time.time()
                await self._on_message(socket, message, at)
        except ConnectionClosed:
            pass
        finally:
            self.closed += 1
            self.sockets.discard(socket)

    async def _on_message(self, socket: ClientConnection, message: str | bytes, at: float) -> None:
        event = json.loads(message)
        kind = event.get("type")
        if kind != "alert" or event.get("alert") is None:
            self.others[f"{kind} {event.get('msg_type', '')}".strip()] += 1
            return
        alert_id = event["alert_id"]
        ack = {
            "type": "ack",
            "alert_id": alert_id,
            "stage": "received",
            "at": datetime.fromtimestamp(at, UTC).isoformat(),
        }
        await socket.send(json.dumps(ack))
        self.arrivals.setdefault(alert_id, []).append(at)
        if alert_id not in self.samples:
            self.samples[alert_id] = message if isinstance(message, str) else message.decode()

    async def collect(self, alert_id: str, timeout_s: float) -> dict[str, Any]:
        cpu = time.process_time()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.arrivals.get(alert_id, ())) >= self.ready - self.closed:
                break
            await asyncio.sleep(POLL_S)
        arrivals = self.arrivals.pop(alert_id, [])
        others, self.others = self.others, Counter()
        return {
            "arrivals": arrivals,
            "missing": self.ready - len(arrivals),
            "closed": self.closed,
            "others": dict(others),
            "sample": self.samples.pop(alert_id, None),
            "cpu_s": time.process_time() - cpu,
        }

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in list(self.sockets)), return_exceptions=True)


def reply(found: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(found) + "\n")
    sys.stdout.flush()


async def run(spec: dict[str, Any]) -> None:
    agents = Agents(spec)
    gate = asyncio.Semaphore(spec.get("connect_concurrency", 64))
    tokens: list[str] = spec["tokens"]
    held = await asyncio.gather(*(agents.connect(token, gate) for token in tokens))
    tasks = [asyncio.create_task(agents.listen(socket)) for socket in held if socket]
    # The instrument must not pause: a full collection over thousands of connections takes
    # a good part of a second here. What is held now is kept out of collections, and none
    # run while alerts are measured (the little a push and its ack allocate is freed by
    # reference counting).
    gc.collect()
    gc.freeze()
    gc.disable()
    reply({"ready": agents.ready, "failed": sum(agents.errors.values()), "errors": agents.errors})
    while line := await asyncio.to_thread(sys.stdin.readline):
        command = json.loads(line)
        if command["cmd"] == "collect":
            reply(await agents.collect(command["alert_id"], command["timeout_s"]))
        elif command["cmd"] == "reset":
            agents.others.clear()
            reply({})
        elif command["cmd"] == "quit":
            break
    await agents.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _run(main: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop  # the clients' own overhead kept low: they are the measuring instrument
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


if __name__ == "__main__":
    raise_nofile()
    _run(run(json.loads(Path(sys.argv[1]).read_text())))
