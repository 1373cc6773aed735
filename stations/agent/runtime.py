"""The agent at run time: four loops over one server link.

- sync: polls the manifest (If-None-Match, jittered interval) or pulls at once when the
  event channel says so; saves it, prefetches its files, evicts what is no longer needed;
- events: keeps the WebSocket open, reconnecting by itself;
- heartbeat: reports health and measures the clock offset;
- upload: drains the as-run outbox, forgetting records only once acknowledged.

Each loop backs off on errors by itself; none stops the others. Without a server the agent
goes on from its saved manifest and cached files, and its outbox keeps every record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import websockets
from websockets.asyncio.client import connect

from stations.agent.backoff import Backoff, jittered
from stations.agent.cache import FileCache
from stations.agent.clock import CorrectedClock, OffsetEstimator
from stations.agent.config import AgentConfig
from stations.agent.credentials import Credentials
from stations.agent.link import ServerLink, TokenRefused
from stations.agent.manifest_store import ManifestStore
from stations.agent.outbox import Outbox
from stations.protocol import ASRUN_BATCH_MAX, EVENTS_PATH, Heartbeat, ManifestEvent, etag

log = logging.getLogger("loaxa.agent")

OUTBOX_FILE = "outbox.sqlite3"


def agent_version() -> str:
    try:
        return version("loaxa")
    except PackageNotFoundError:
        return "0+unknown"


class Agent:
    def __init__(self, config: AgentConfig, credentials: Credentials) -> None:
        self.config = config
        self.credentials = credentials
        self.clock = CorrectedClock(
            OffsetEstimator(), threshold=timedelta(milliseconds=config.clock_threshold_ms)
        )
        self.manifests = ManifestStore(config.data_dir, credentials.station_id)
        self.cache = FileCache(config.data_dir / "cache")
        self.outbox = Outbox(config.data_dir / OUTBOX_FILE)
        self.link = ServerLink(config, credentials.token, self.clock.estimator)
        self.last_error: str | None = None
        self._pull_now = asyncio.Event()
        self._rng = random.Random()
        self._started = time.monotonic()

    async def run(self) -> None:
        closed = self.outbox.close_interrupted(self.clock.now())
        if closed:
            log.warning(
                "outbox: %d item(s) were interrupted by a stop; recorded as partial", closed
            )
        loops = [
            self._sync_loop(),
            self._events_loop(),
            self._heartbeat_loop(),
            self._upload_loop(),
        ]
        try:
            await asyncio.gather(*loops)
        finally:
            await self.link.close()
            self.outbox.close()

    # sync ------------------------------------------------------------------------------

    async def _repeat(
        self,
        what: str,
        step: Callable[[], Awaitable[object]],
        *,
        interval: Callable[[], float],
        backoff_max_s: float,
        wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Run `step` forever: `interval()` apart after a success, backing off after errors."""
        backoff = Backoff(self.config.backoff_initial_s, backoff_max_s)
        while True:
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.failed()
                self._failed(what, exc, delay)
            else:
                backoff.succeeded()
                delay = interval()
            await wait(delay)

    def _sync_loop(self) -> Awaitable[None]:
        return self._repeat(
            "sync",
            self.sync_once,
            interval=lambda: jittered(
                self.config.poll_interval_s, self.config.poll_jitter, self._rng
            ),
            backoff_max_s=self.config.backoff_max_s,
            wait=self._wait_for_pull,
        )

    async def sync_once(self) -> None:
        current = self.manifests.current
        answer = await self.link.manifest(etag(current.version) if current else None)
        if answer.changed:
            accepted = self.manifests.accept(answer.body)
            log.info("manifest: version %d, %d item(s)", accepted.version, len(accepted.items))
        manifest = self.manifests.current
        if manifest is None:
            return
        failures = []
        for file in manifest.files:
            try:
                if await self.cache.fetch(self.link.client, file):
                    log.info("cache: %s verified (%d bytes)", file.sha256[:12], file.size)
            except Exception as exc:  # one bad file must not stop the others
                failures.append(f"{file.sha256[:12]}: {exc}")
        needed = {f.sha256 for f in manifest.files}
        for sha in self.cache.evict(needed, self.config.cache_floor_bytes):
            log.info("cache: evicted %s (no longer in the manifest)", sha[:12])
        if failures:
            raise RuntimeError(f"{len(failures)} file(s) not fetched: {'; '.join(failures)}")

    async def _wait_for_pull(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._pull_now.wait(), timeout=delay)
        self._pull_now.clear()

    # events ----------------------------------------------------------------------------

    async def _events_loop(self) -> None:
        backoff = Backoff(self.config.backoff_initial_s, self.config.backoff_max_s)
        url = self.config.events_url + EVENTS_PATH
        headers = {"Authorization": f"Bearer {self.credentials.token}"}
        while True:
            try:
                async with connect(url, additional_headers=headers, open_timeout=10) as socket:
                    log.info("events: connected")
                    backoff.succeeded()
                    async for message in socket:
                        self._on_event(message)
                reason = "closed by the server"
            except (OSError, websockets.WebSocketException, TimeoutError) as exc:
                reason = str(exc) or type(exc).__name__
            # Also after a clean close: a server that accepts and hangs up at once must not
            # be redialled in a tight loop.
            delay = backoff.failed()
            log.info("events: %s; reconnecting in %.1f s", reason, delay)
            await asyncio.sleep(delay)

    def _on_event(self, message: str | bytes) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            log.warning("events: not JSON: %.200r", message)
            return
        if event.get("type") == "manifest":
            version = ManifestEvent.model_validate(event).version
            current = self.manifests.current
            if current is None or current.version != version:
                log.info("events: manifest version %d is out; pulling it now", version)
                self._pull_now.set()

    # heartbeat -------------------------------------------------------------------------

    def _heartbeat_loop(self) -> Awaitable[None]:
        return self._repeat(
            "heartbeat",
            self._beat,
            interval=lambda: self.config.heartbeat_interval_s,
            backoff_max_s=self.config.heartbeat_interval_s,
        )

    async def _beat(self) -> None:
        reply = await self.link.heartbeat(self.heartbeat())
        self.outbox.mark_alive(self.clock.now())
        current = self.manifests.current
        if reply.manifest_version is not None and (
            current is None or current.version != reply.manifest_version
        ):
            self._pull_now.set()  # a push was missed: the heartbeat says what is current

    def heartbeat(self) -> Heartbeat:
        current = self.manifests.current
        return Heartbeat(
            manifest_version=current.version if current else None,
            now_playing=None,
            clock_offset_ms=self.clock.offset_ms(),
            disk_free_bytes=shutil.disk_usage(self.config.data_dir).free,
            cpu_temp_c=_cpu_temperature(),
            volume=None,
            agent_version=agent_version(),
            uptime_s=round(time.monotonic() - self._started, 1),
            last_error=self.last_error,
        )

    # upload ----------------------------------------------------------------------------

    def _upload_loop(self) -> Awaitable[None]:
        return self._repeat(
            "upload",
            self.upload_pending,
            interval=lambda: self.config.upload_interval_s,
            backoff_max_s=self.config.backoff_max_s,
        )

    async def upload_pending(self) -> int:
        """Upload every ready record, a batch at a time; returns how many the server has."""
        done = 0
        while batch := self.outbox.pending(ASRUN_BATCH_MAX):
            reply = await self.link.upload(batch)
            self.outbox.acknowledge([r.id for r in batch])
            done += len(batch)
            log.info("as-run: %d uploaded (%d already there)", reply.accepted, reply.duplicates)
        return done

    def _failed(self, what: str, exc: Exception, delay: float) -> None:
        self.last_error = f"{what}: {exc}"[:2000]
        if isinstance(exc, TokenRefused):
            log.error(
                "%s: the server refused this station's token (%s); the agent goes on from "
                "its saved manifest. Enrol again with a new code to reconnect.",
                what,
                exc,
            )
        else:
            log.warning("%s failed: %s; again in %.1f s", what, exc, delay)


def _cpu_temperature() -> float | None:
    sensor = Path("/sys/class/thermal/thermal_zone0/temp")
    try:
        return round(int(sensor.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
