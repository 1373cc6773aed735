"""The server's background workers, started and stopped as one unit, in a fixed order.

Start: the attention chime is made (or checked) first, so a missing chime file stops the
server before anything runs; then the uploads that a stopped server left unfinished are
failed and their files removed, and the uploads' heartbeat starts; the alert board loads
and its listener follows other processes' changes, as the poll directory's does the
stations'; the event hub binds to the loop; the flushers write buffered heartbeats and
acknowledgements every second; the CAP feed poller looks for feeds due every
`cap_feed_tick_s` (every process runs it; each feed's poll is claimed by one); the keeper's
scheduler starts last, once everything it pushes through is up. Stop cancels the flushers,
writes what they still hold, then stops the board, the listener and the scheduler, waits
for the uploads being made (failing the queued ones), and disposes of the database,
running every step whatever the others do, so a database gone at shutdown leaves no
thread running.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi.concurrency import run_in_threadpool

from alerts.acks import AckBuffer
from alerts.board import AlertBoard
from alerts.chime import ensure_chime
from alerts.feeds.poller import FeedPoller
from alerts.notify import listener as alerts_listener
from core import collector
from core.config import Settings
from core.db import Database
from core.listen import Listener
from playlists.content.services import ContentServices
from playlists.content.uploads import UploadJobs
from scheduler.service import SchedulerService
from stations.fleet.directory import CHANNEL as STATION_CHANNEL
from stations.fleet.directory import PollDirectory
from stations.fleet.events import EventHub
from stations.fleet.health import HeartbeatBuffer
from stations.fleet.mqtt.server_client import MqttPush

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0


async def every(seconds: float, name: str, action: Callable[[], object]) -> None:
    """Run `action` in a thread every `seconds` until cancelled; a failure is logged and
    tried again at the next turn (what it buffers stays buffered)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(action)
        except Exception:
            log.exception("%s failed; trying again in %.0f s", name, seconds)


@dataclass(kw_only=True)
class ServerWorkers:
    settings: Settings
    database: Database
    content: ContentServices
    uploads: UploadJobs
    events: EventHub
    heartbeats: HeartbeatBuffer
    acks: AckBuffer
    board: AlertBoard
    scheduler: SchedulerService
    directory: PollDirectory
    feeds: FeedPoller | None = None  # None: settings.cap_feeds_enabled is off
    mqtt: MqttPush | None = None  # None: push over the built-in event channel only
    _listeners: list[Listener] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        chime = await run_in_threadpool(
            ensure_chime, setting=self.settings.alert_chime, services=self.content
        )
        self.board.use_chime(chime)
        await run_in_threadpool(self.uploads.start)
        await run_in_threadpool(self.board.start)
        await run_in_threadpool(self.directory.start)
        if not self.database.is_sqlite:
            url = self.settings.database_url
            self._listeners = [
                alerts_listener(url, self.board.kick),
                Listener(url, STATION_CHANNEL, self.directory.heard),
            ]
            for listening in self._listeners:
                listening.start()
        self.events.bind(asyncio.get_running_loop())
        if self.mqtt is not None:
            self.mqtt.start()
        self._tasks = [
            asyncio.create_task(every(FLUSH_EVERY_S, "heartbeats: writing", self.heartbeats.flush)),
            asyncio.create_task(every(FLUSH_EVERY_S, "alerts: writing acks", self.acks.flush)),
            asyncio.create_task(
                every(
                    self.settings.station_changes_s,
                    "poll directory: reading station changes",
                    self.directory.catch_up,
                )
            ),
        ]
        if self.feeds is not None:
            tick = self.settings.cap_feed_tick_s
            self._tasks.append(
                asyncio.create_task(every(tick, "CAP feeds: polling", self.feeds.tick))
            )
        if self.settings.gc_freeze:
            collector.freeze_startup()
        if self.settings.scheduler_enabled:
            self.scheduler.start()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        steps: list[Callable[[], object]] = [self.heartbeats.flush, self.acks.flush]
        steps += [self.board.stop]
        steps += [listening.stop for listening in self._listeners]
        steps += [self.scheduler.stop] if self.settings.scheduler_enabled else []
        steps += [self.uploads.stop]
        steps += [self.feeds.close] if self.feeds is not None else []
        steps += [self.mqtt.stop] if self.mqtt is not None else []
        for step in [*steps, self.database.dispose]:
            try:
                step()
            except Exception:
                log.exception("shutdown: %s failed", getattr(step, "__qualname__", step))
