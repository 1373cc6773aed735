"""The server's scheduler: APScheduler in the process, started by the app's lifespan.

Every process runs the same jobs, but a job does its work only in the process that holds
the leadership; the others keep asking, so one takes over within a tick or two when the
leader dies.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core.clock import Clock
from core.config import Settings
from core.db import Database
from scheduler.keeper import PlaylistKeeper
from scheduler.leader import FileLeadership, Leadership, PostgresLeadership

log = logging.getLogger(__name__)


def leadership_for(database: Database, data_dir: Path) -> Leadership:
    if database.is_sqlite:
        return FileLeadership(data_dir / "scheduler.lock")
    return PostgresLeadership(database.engine)


class SchedulerService:
    def __init__(self, *, keeper: PlaylistKeeper, leadership: Leadership, interval_s: float):
        self.keeper = keeper
        self.leadership = leadership
        self._interval_s = interval_s
        self._scheduler = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        self._scheduler.add_job(
            self._keep_playlists,
            IntervalTrigger(seconds=self._interval_s, timezone=UTC),
            id="keep_playlists",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
        self.leadership.release()

    def _keep_playlists(self) -> None:
        if not self.leadership.holds():
            return
        try:
            self.keeper.tick()
        except Exception:
            # The next tick tries again from the same cursor; nothing was half-written.
            log.exception("playlists: build failed; retrying at the next tick")


def build_scheduler(settings: Settings, database: Database, clock: Clock) -> SchedulerService:
    keeper = PlaylistKeeper(
        database=database,
        clock=clock,
        horizon_days=settings.horizon_days,
        timezone=settings.default_timezone,
    )
    return SchedulerService(
        keeper=keeper,
        leadership=leadership_for(database, settings.data_dir),
        interval_s=settings.scheduler_interval_s,
    )
