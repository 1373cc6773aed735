"""One load generator process of the agent load benchmark (benchmarks/agent_load.py).

Raw HTTP/1.1 over keep-alive asyncio connections (uvloop when installed), so a single core
drives several thousand requests a second and the client is not what is measured. Each
simulated agent polls its manifest with If-None-Match (its current ETag: 304 unless the
playlist changed, then 200 and the new ETag is kept) and sends heartbeats, two polls to one
heartbeat, spread over its stations.

- open loop ("fixed"): requests are due at a fixed rate whatever the answers; a request
  waits for a free connection (up to max_connections are opened), and its latency counts
  from when it was due, so a slow server cannot hide behind a slow client;
- closed loop ("max"): `concurrency` connections, each sending its next request as soon as
  the last answer is in; latency from send.

    python -m benchmarks.agent_load_client SPEC.json RESULT.json

Only the standard library (and uvloop): it starts fast and imports nothing of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

MANIFEST_PATH = "/agent/v1/manifest"
HEARTBEAT_PATH = "/agent/v1/heartbeat"
EXPECTED = {"GET": (200, 304), "POST": (200,)}
# uvicorn closes a keep-alive connection idle for 5 s; like any HTTP client's pool, this one
# drops its connections idle for longer than that before they can race the server's close.
IDLE_S = 4.0


@dataclass
class Agent:
    token: str
    etag: str
    heartbeat: bytes
    poll: bytes = b""
    beat: bytes = b""


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first: float = 0.0
    last: float = 0.0
    connections: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = time.perf_counter()

    async def exchange(self, request: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        """Send the request, read the whole answer: (status, lower-cased headers, body)."""
        self.used = time.perf_counter()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name:
                headers[name.strip().lower()] = value.strip()
        body = b""
        if status == 304 or status == 204 or status < 200:
            pass
        elif b"content-length" in headers:
            body = await self.reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                chunks.append((await self.reader.readexactly(size + 2))[:-2])
            await self.reader.readuntil(b"\r\n")
            body = b"".join(chunks)
        else:
            body = await self.reader.read()
            headers[b"connection"] = b"close"
        return status, headers, body

    def close(self) -> None:
        self.writer.close()


class Load:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.host: str = spec["host"]
        self.port: int = spec["port"]
        self.timeout_s: float = spec["timeout_s"]
        self.max_connections: int = spec["max_connections"]
        self.agents = [
            Agent(a["token"], a["etag"], a["heartbeat"].encode()) for a in spec["agents"]
        ]
        for agent in self.agents:
            self._requests(agent)
        self.results = Results()
        self._idle: list[Connection] = []
        self._waiting: deque[asyncio.Future[Connection | None]] = deque()
        self._open = 0

    def _requests(self, agent: Agent) -> None:
        common = f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {agent.token}\r\n"
        agent.poll = (
            f"GET {MANIFEST_PATH} HTTP/1.1\r\n{common}If-None-Match: {agent.etag}\r\n\r\n"
        ).encode()
        agent.beat = (
            f"POST {HEARTBEAT_PATH} HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
            f"Content-Length: {len(agent.heartbeat)}\r\n\r\n"
        ).encode() + agent.heartbeat

    def pick(self, k: int) -> tuple[Agent, str]:
        """Request k: agents in turn; each agent's turns go poll, poll, heartbeat (shifted per
        agent, so every round has a third of heartbeats)."""
        rounds, index = divmod(k, len(self.agents))
        return self.agents[index], "POST" if (rounds + index) % 3 == 2 else "GET"

    # connections -------------------------------------------------------------------------

    async def _connect(self) -> Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.results.connections += 1
        return Connection(reader, writer)

    async def acquire(self) -> Connection:
        while self._idle:
            connection = self._idle.pop()
            if time.perf_counter() - connection.used < IDLE_S:
                return connection
            connection.close()
            self._open -= 1
        if self._open >= self.max_connections:
            waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            handed = await waiter
            if handed is not None:
                return handed
        self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._open -= 1
            self._wake(None)
            raise

    def release(self, connection: Connection | None) -> None:
        """Back to the pool; None when it was closed (a waiter may then open another)."""
        if connection is None:
            self._open -= 1
        self._wake(connection)

    def _wake(self, connection: Connection | None) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is not None:
            connection.used = time.perf_counter()
            self._idle.append(connection)

    # one request -------------------------------------------------------------------------

    async def one(self, k: int, since: float | None, until: float) -> None:
        """Request k; its latency from `since` (when it was due) or from the send."""
        agent, method = self.pick(k)
        connection: Connection | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                connection = await self.acquire()
                started = time.perf_counter() if since is None else since
                status, headers, _ = await connection.exchange(
                    agent.poll if method == "GET" else agent.beat
                )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            if connection is not None:
                connection.close()
                self.release(None)
            self.results.error(f"{method} {type(exc).__name__}")
            return
        done = time.perf_counter()
        if headers.get(b"connection", b"").lower() == b"close":
            connection.close()
            self.release(None)
        else:
            self.release(connection)
        if done > until:
            return  # after the window (closed loop): neither counted nor an error
        if method == "GET" and status == 200 and b"etag" in headers:
            agent.etag = headers[b"etag"].decode()
            self._requests(agent)
        key = f"{method} {status}"
        self.results.statuses[key] = self.results.statuses.get(key, 0) + 1
        if status not in EXPECTED[method]:
            self.results.error(key)
            return
        self.results.latencies_ms.append((done - started) * 1000)
        self.results.last = max(self.results.last, done)

    # the two modes -----------------------------------------------------------------------

    async def open_loop(self, start: float, seconds: float, rate: float) -> None:
        total = round(rate * seconds)
        tasks: set[asyncio.Task[None]] = set()
        for k in range(total):
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.one(k, due, float("inf")))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)

    async def closed_loop(self, start: float, seconds: float, concurrency: int) -> None:
        self.max_connections = concurrency
        counter = iter(range(10**12))
        until = start + seconds

        async def client() -> None:
            while time.perf_counter() < until:
                await self.one(next(counter), None, until)

        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        await asyncio.gather(*(client() for _ in range(concurrency)))

    def close(self) -> None:
        for connection in self._idle:
            connection.close()


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    load = Load(spec)
    # The same wall-clock start for every generator process, on this process's own timer.
    start = time.perf_counter() + max(0.0, spec["start_at"] - time.time())
    load.results.first = start
    try:
        if spec["mode"] == "open":
            await load.open_loop(start, spec["seconds"], spec["rate"])
        else:
            await load.closed_loop(start, spec["seconds"], spec["concurrency"])
    finally:
        load.close()
    results = load.results
    return {
        "latencies_ms": [round(v, 3) for v in results.latencies_ms],
        "statuses": results.statuses,
        "errors": results.errors,
        "elapsed_s": max(results.last - start, 0.0),
        "connections": results.connections,
    }


def main(argv: list[str]) -> None:
    spec_path, result_path = argv
    with open(spec_path) as handle:
        spec = json.load(handle)
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(run(spec))
    with open(result_path, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
