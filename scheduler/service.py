"""The server's scheduler: APScheduler in the process, started by the app's lifespan.

Every process runs the same jobs, but a job does its work only in the process that holds
the leadership; the others keep asking, so one takes over within a tick or two when the
leader dies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from core.clock import Clock
from core.config import Settings
from core.db import Database
from reports.summarizer import ReportSummarizer
from scheduler.keeper import PlaylistKeeper
from scheduler.leader import FileLeadership, Leadership, PostgresLeadership

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0


def leadership_for(database: Database, data_dir: Path) -> Leadership:
    """PostgreSQL's advisory lock; for SQLite, a lock file beside the database file, so
    every process using that file agrees (an in-memory database: in the data folder)."""
    if not database.is_sqlite:
        return PostgresLeadership(database.engine)
    name = make_url(database.url).database
    if name and name != ":memory:":
        return FileLeadership(Path(f"{name}.scheduler.lock"))
    return FileLeadership(data_dir / "scheduler.lock")


NewVersions = Callable[[Mapping[int, tuple[int, str]]], None]


class SchedulerService:
    def __init__(
        self,
        *,
        keeper: PlaylistKeeper,
        leadership: Leadership,
        interval_s: float,
        summarizer: ReportSummarizer | None = None,
        summary_interval_s: float = 60.0,
        on_new_versions: NewVersions | None = None,
    ):
        self.keeper = keeper
        self.summarizer = summarizer
        self._summary_interval_s = summary_interval_s
        self._on_new_versions = on_new_versions
        self.leadership = leadership
        # Whether this process led at its last tick: read by those who must act once for
        # all processes (MQTT publishing), from any thread, without asking the database.
        self.leading = False
        self._interval_s = interval_s
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._failures = 0
        self._retry_at = 0.0

    def start(self) -> None:
        # A scheduler once shut down cannot run jobs again (its thread pool is gone): each
        # start has a new one, so an app started a second time keeps its playlists built.
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._keep_playlists,
            IntervalTrigger(seconds=self._interval_s, timezone=UTC),
            id="keep_playlists",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        if self.summarizer is not None:
            self._scheduler.add_job(
                self._summarize_reports,
                IntervalTrigger(seconds=self._summary_interval_s, timezone=UTC),
                id="summarize_reports",
                max_instances=1,
                coalesce=True,
            )
        self._scheduler.start()

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
        self.leading = False
        self.leadership.release()

    def _keep_playlists(self) -> None:
        if time.monotonic() < self._retry_at:
            return
        self.leading = self.leadership.holds()
        if not self.leading:
            return
        try:
            report = self.keeper.tick()
        except Exception:
            # Nothing was half-written: a later tick starts again from the same cursor.
            # Back off, so a build that keeps failing does not load the database every tick.
            self._failures += 1
            delay = min(self._interval_s * 2**self._failures, MAX_BACKOFF_S)
            self._retry_at = time.monotonic() + delay
            log.exception("playlists: build failed; trying again in %.0f s", delay)
        else:
            self._failures = 0
            # A full build (after local midnight) moves every station's version at once:
            # the agents' own jittered polls spread that load. Pushes are for the changes
            # people make, which should reach the loudspeakers at once.
            if report and report.changed and not report.full and self._on_new_versions:
                self._on_new_versions(self.keeper.versions(report.changed))

    def _summarize_reports(self) -> None:
        if self.summarizer is None or not self.leadership.holds():
            return
        try:
            self.summarizer.tick()
        except Exception:
            # Summaries are sums of what is stored: the next tick simply does them again.
            log.exception("reports: summarizing failed; trying again at the next tick")


def build_scheduler(
    settings: Settings,
    database: Database,
    clock: Clock,
    *,
    on_new_versions: NewVersions | None = None,
) -> SchedulerService:
    keeper = PlaylistKeeper(
        database=database,
        clock=clock,
        horizon_days=settings.horizon_days,
        timezone=settings.default_timezone,
    )
    summarizer = ReportSummarizer(
        database=database,
        clock=clock,
        timezone=settings.default_timezone,
        offline_after=timedelta(seconds=settings.station_offline_after_s),
        late_after=timedelta(seconds=settings.report_late_after_s),
        refresh=timedelta(seconds=settings.report_refresh_s),
        retention_days=settings.report_retention_days,
    )
    return SchedulerService(
        keeper=keeper,
        leadership=leadership_for(database, settings.data_dir),
        interval_s=settings.scheduler_interval_s,
        summarizer=summarizer,
        summary_interval_s=settings.report_summary_interval_s,
        on_new_versions=on_new_versions,
    )
