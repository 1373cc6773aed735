"""A loopback TCP proxy between an agent and the server that can misbehave on purpose:
cut a response after so many bytes, slow responses down, or swallow the answers to some
requests after the server has handled them (a lost acknowledgement). It logs each
request's head and each response's status line it sees, for the tests to check."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_REQUEST_LINE = re.compile(rb"^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) HTTP/1\.[01]\r\n", re.M)
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


@dataclass
class Faults:
    cut_after_bytes: int | None = None  # once: close the connection mid-response
    bytes_per_s: float | None = None  # throttle responses
    swallow_paths: dict[str, int] = field(default_factory=dict)  # path prefix -> how many
    let_through: dict[str, int] = field(default_factory=dict)  # ...after letting these pass


class Proxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults = Faults()
        self.requests: list[str] = []  # request heads, in order
        self.statuses: list[tuple[str, int]] = []  # (request line, status)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def __enter__(self) -> Proxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def heads_for(self, path: str) -> list[str]:
        with self._lock:
            return [h for h in self.requests if h.split(" ", 2)[1].startswith(path)]

    def statuses_for(self, path: str) -> list[int]:
        with self._lock:
            return [s for line, s in self.statuses if line.split(" ", 2)[1].startswith(path)]

    @contextmanager
    def faulty(self, **faults: object) -> Iterator[Faults]:
        previous = self.faults
        self.faults = Faults(**faults)  # type: ignore[arg-type]
        try:
            yield self.faults
        finally:
            self.faults = previous

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _connection(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        pending: list[str] = []  # request lines awaiting their response
        swallow: list[bool] = []
        upstream = asyncio.create_task(self._upstream(client_r, server_w, pending, swallow))
        try:
            await self._downstream(server_r, client_w, pending, swallow)
        finally:
            upstream.cancel()
            for writer in (client_w, server_w):
                writer.close()

    async def _upstream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pending: list[str],
        swallow: list[bool],
    ) -> None:
        try:
            while data := await reader.read(65536):
                for match in _REQUEST_LINE.finditer(data):
                    line = match.group(0).decode().strip()
                    head = data[match.start() : data.find(b"\r\n\r\n", match.start())].decode(
                        "latin-1"
                    )
                    with self._lock:
                        self.requests.append(head)
                    pending.append(line)
                    swallow.append(self._take_swallow(line.split(" ", 2)[1]))
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if not writer.is_closing():
                writer.write_eof() if writer.can_write_eof() else None

    def _take_swallow(self, path: str) -> bool:
        for prefix, passes in self.faults.let_through.items():
            if path.startswith(prefix) and passes > 0:
                self.faults.let_through[prefix] = passes - 1
                return False
        for prefix, left in self.faults.swallow_paths.items():
            if path.startswith(prefix) and left > 0:
                self.faults.swallow_paths[prefix] = left - 1
                return True
        return False

    async def _downstream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pending: list[str],
        swallow: list[bool],
    ) -> None:
        sent = 0
        while data := await reader.read(16384):
            for match in _STATUS_LINE.finditer(data):
                line = pending.pop(0) if pending else "? ? ?"
                gulp = swallow.pop(0) if swallow else False
                with self._lock:
                    self.statuses.append((line, int(match.group(1))))
                if gulp:
                    return  # the server answered; the agent never hears it
            faults = self.faults
            if faults.cut_after_bytes is not None and sent + len(data) > faults.cut_after_bytes:
                writer.write(data[: max(faults.cut_after_bytes - sent, 0)])
                await writer.drain()
                faults.cut_after_bytes = None
                return
            if faults.bytes_per_s:
                await asyncio.sleep(len(data) / faults.bytes_per_s)
            writer.write(data)
            await writer.drain()
            sent += len(data)
