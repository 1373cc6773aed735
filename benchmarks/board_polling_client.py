"""The board polling benchmark's client process (benchmarks/board_polling.py): the simulated
agents' heartbeats and the open boards, in a process of its own so that none of its CPU is
counted as the server's; it also reads the server's CPU time from /proc at each phase's
edges, where it knows them to the millisecond.

Raw HTTP/1.1 on asyncio (uvloop when installed; the agent load benchmark's Connection), a
new connection for each request with `Connection: close`: an agent beating every minute
and a browser asking every 10 s find their last connection closed anyway (uvicorn closes an
idle one after 5 s), and a light client leaves the machine's cores to the server (httpx
took a third of a core itself here for 33 requests/s).

One run: every agent's first heartbeat (so the boards show them online), then heartbeats
on a fixed schedule, agent after agent in a shuffled order, each agent every `heartbeat_s`,
until the end. After
`settle_s` the heartbeats-only phase; then the boards are opened (each loads its page, as a
browser does, and takes the digest from its live element's hx-get) and, after them, the
boards phase: each board asks its fragment every `refresh_s`, from an offset of its own,
with the digest it shows; a 204 leaves it, a 200 brings the new one in the fragment.

    python -m benchmarks.board_polling_client SPEC.json RESULT.json

Only the standard library (and uvloop), like the agent load benchmark's client.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.agent_load_client import Connection
from benchmarks.machine import tree_cpu_s

PRIME_CONCURRENCY = 16
OPEN_CONCURRENCY = 4  # boards opened at once: people open them one by one, not all together
LIVE = re.compile(rb'hx-get="/stations/board[^"]*[?;]seen=([0-9a-f]+)"')  # & is &amp;
PHASES = ("heartbeats", "boards")
FAILURES = (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError)
# What a browser sends beside the cookie (gzip: as the pages are sent, when they are).
BROWSER = "Accept-Language: vi-VN,vi;q=0.9\r\nAccept-Encoding: gzip\r\n"


@dataclass
class Tally:
    """What one phase saw of one kind of request."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    wire_bytes: int = 0  # the 200s' bodies as sent
    body_bytes: int = 0  # and decoded


def bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


@dataclass
class Phase:
    start: float = 0.0  # perf_counter
    end: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    heartbeats: Tally = field(default_factory=Tally)
    boards: dict[str, Tally] = field(default_factory=dict)  # by scope

    def holds(self, moment: float) -> bool:
        return self.start <= moment < self.end


@dataclass
class Agent:
    token: str
    body: dict[str, Any]
    beats: int = 0
    warm: bool = False  # a degree above the base temperature


@dataclass
class Board:
    cookie: str  # the Cookie header's value
    area_id: int
    scope: str
    seen: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes  # decoded
    wire_bytes: int


class Run:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.host, self.port = spec["host"], spec["port"]
        self.agents = [Agent(a["token"], json.loads(a["heartbeat"])) for a in spec["agents"]]
        # In the fleet's order a commune's stations would all beat within the same few
        # seconds of each minute; real agents, started whenever, beat at any second.
        random.shuffle(self.agents)
        self.boards = [
            Board(f"{spec['cookie']}={b['token']}", b["area_id"], b["scope"])
            for b in spec["boards"]
        ]
        self.phases = {name: Phase() for name in PHASES}
        self.began = time.perf_counter()
        self.opened_s = 0.0
        self.open_errors: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, head: str, body: bytes = b"") -> Answer:
        """One request on a connection of its own; `head` is its request line and headers."""
        start = f"{head}Host: {self.host}:{self.port}\r\nConnection: close\r\n"
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        async with asyncio.timeout(self.spec["timeout_s"]):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            connection = Connection(reader, writer)
            try:
                status, headers, raw = await connection.exchange(
                    f"{start}{length}\r\n".encode() + body
                )
            finally:
                connection.close()
        decoded = gzip.decompress(raw) if headers.get(b"content-encoding") == b"gzip" else raw
        return Answer(status, decoded, len(raw))

    # heartbeats --------------------------------------------------------------------------

    async def beat(self, agent: Agent, due: float | None) -> None:
        """One heartbeat; its latency from when it was due, so a late client cannot hide a
        slow server (none at all for the first ones, due=None)."""
        agent.beats += 1
        # Each beat changes its station's row (its last-seen time); on a `changing` share of
        # them the temperature steps too, which the board shows.
        if random.random() < self.spec["changing"]:
            agent.warm = not agent.warm
        body = agent.body | {
            "cpu_temp_c": 48.0 + agent.warm,
            "uptime_s": agent.body["uptime_s"] + time.perf_counter() - self.began,
        }
        head = (
            f"POST {self.spec['heartbeat_path']} HTTP/1.1\r\n"
            f"Authorization: Bearer {agent.token}\r\nContent-Type: application/json\r\n"
        )
        phase = next((p for p in self.phases.values() if due and p.holds(due)), None)
        tally = phase.heartbeats if phase else Tally()
        started = due or time.perf_counter()
        try:
            answer = await self.request(head, json.dumps(body).encode())
        except FAILURES as exc:
            bump(tally.errors, type(exc).__name__)
            return
        bump(tally.statuses, str(answer.status))
        if answer.status != 200:
            bump(tally.errors, f"status {answer.status}")
            return
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def heartbeats(self, start: float, until: float) -> None:
        every = self.spec["heartbeat_s"] / len(self.agents)
        k = 0
        while (due := start + k * every) < until:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            self._spawn(self.beat(self.agents[k % len(self.agents)], due))
            k += 1

    async def prime(self) -> None:
        gate = asyncio.Semaphore(PRIME_CONCURRENCY)

        async def first(agent: Agent) -> None:
            async with gate:
                await self.beat(agent, None)

        await asyncio.gather(*(first(a) for a in self.agents))

    # boards ------------------------------------------------------------------------------

    def _page(self, board: Board) -> str:
        return f"/stations?area={board.area_id}"

    async def open(self, board: Board, gate: asyncio.Semaphore) -> None:
        head = f"GET {self._page(board)} HTTP/1.1\r\nCookie: {board.cookie}\r\n{BROWSER}"
        async with gate:
            try:
                page = await self.request(head)
            except FAILURES as exc:
                bump(self.open_errors, type(exc).__name__)
                return
        found = LIVE.search(page.body)
        if page.status != 200 or found is None:
            bump(self.open_errors, f"page {page.status}" + ("" if found else ", no board"))
            return
        board.seen = found.group(1).decode()

    async def poll(self, board: Board, phase: Phase) -> None:
        """The board's live element, as htmx drives it: one request at a time, every
        refresh_s from its own offset (a late answer skips the turns it missed)."""
        refresh = self.spec["refresh_s"]
        tally = phase.boards.setdefault(board.scope, Tally())
        page = f"http://{self.host}:{self.port}{self._page(board)}"
        headers = (
            f"Cookie: {board.cookie}\r\n{BROWSER}HX-Request: true\r\nHX-Target: board\r\n"
            f"HX-Current-URL: {page}\r\n"
        )
        due = phase.start + random.uniform(0, refresh)
        while due < phase.end:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            path = f"/stations/board?area={board.area_id}&seen={board.seen}"
            sent = time.perf_counter()
            try:
                answer = await self.request(f"GET {path} HTTP/1.1\r\n{headers}")
            except FAILURES as exc:
                bump(tally.errors, type(exc).__name__)
            else:
                self._polled(board, tally, answer, sent)
            while due <= time.perf_counter():
                due += refresh

    def _polled(self, board: Board, tally: Tally, answer: Answer, sent: float) -> None:
        bump(tally.statuses, str(answer.status))
        found = LIVE.search(answer.body) if answer.status == 200 else None
        if found is not None:
            board.seen = found.group(1).decode()
            tally.wire_bytes += answer.wire_bytes
            tally.body_bytes += len(answer.body)
        elif answer.status == 200:
            bump(tally.errors, "200 without a digest")
        elif answer.status != 204:
            bump(tally.errors, f"status {answer.status}")
        if answer.status in (200, 204):
            tally.latencies_ms.append((time.perf_counter() - sent) * 1000)

    # the run -----------------------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _at(self, moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))

    def _edge(self, phase: Phase, *, start: bool) -> None:
        """A phase's start (the CPU times so far) or its end (the CPU times it took)."""
        server, client = tree_cpu_s(self.spec["server_pid"]), time.process_time()
        if start:
            phase.start = time.perf_counter()
            phase.server_cpu_s, phase.client_cpu_s = server, client
        else:
            phase.end = time.perf_counter()
            phase.server_cpu_s = server - phase.server_cpu_s
            phase.client_cpu_s = client - phase.client_cpu_s

    async def run(self) -> dict[str, Any]:
        seconds = self.spec["seconds"]
        await self.prime()
        quiet, live = self.phases["heartbeats"], self.phases["boards"]
        start = time.perf_counter()
        # Until the end of the boards phase, wherever that falls; ended below.
        beats = asyncio.create_task(self.heartbeats(start, float("inf")))
        quiet.start, quiet.end = start + self.spec["settle_s"], float("inf")
        await self._at(quiet.start)
        self._edge(quiet, start=True)
        quiet.end = quiet.start + seconds
        await self._at(quiet.end)
        self._edge(quiet, start=False)
        opening = time.perf_counter()
        gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        await asyncio.gather(*(self.open(b, gate) for b in self.boards))
        self.opened_s = time.perf_counter() - opening
        live.start, live.end = time.perf_counter(), float("inf")
        self._edge(live, start=True)
        live.end = live.start + seconds
        polls = [asyncio.create_task(self.poll(b, live)) for b in self.boards if b.seen]
        await self._at(live.end)
        self._edge(live, start=False)
        beats.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beats
        # The requests still in flight count: each was due within its phase.
        await asyncio.gather(*polls, *self._tasks)
        return {
            "phases": {name: _phase(p) for name, p in self.phases.items()},
            "opened": sum(1 for b in self.boards if b.seen),
            "opened_s": self.opened_s,
            "open_errors": self.open_errors,
        }


def _tally(tally: Tally) -> dict[str, Any]:
    return {
        "latencies_ms": [round(v, 3) for v in tally.latencies_ms],
        "statuses": tally.statuses,
        "errors": tally.errors,
        "wire_bytes": tally.wire_bytes,
        "body_bytes": tally.body_bytes,
    }


def _phase(phase: Phase) -> dict[str, Any]:
    return {
        "window_s": phase.end - phase.start,
        "server_cpu_s": phase.server_cpu_s,
        "client_cpu_s": phase.client_cpu_s,
        "heartbeats": _tally(phase.heartbeats),
        "boards": {scope: _tally(t) for scope, t in phase.boards.items()},
    }


def main(argv: list[str]) -> None:
    spec_path, result_path = argv
    with open(spec_path) as handle:
        spec = json.load(handle)
    random.seed(spec["seed"])
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    result = asyncio.run(Run(spec).run())
    with open(result_path, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
