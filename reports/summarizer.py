"""Keeps station-day summaries current, a bounded batch per tick (the scheduler's leader
runs it): the days whose as-run records arrived since the last tick, today's and
yesterday's once they are older than `refresh`, then days with a plan of record and no
summary yet, newest first. Once a day it applies retention (reports/retention.py)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.clock import Clock
from core.db import Database, chunks
from playlists.timelines.record import StationPlan
from reports.retention import apply_retention
from reports.summaries import StationDaySummaryRow, summarize
from stations.fleet.models import AsRun
from stations.models import Station

log = logging.getLogger(__name__)

# Records committed just before a tick may carry a received_at a little older than it.
_OVERLAP = timedelta(seconds=30)


class ReportSummarizer:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        timezone: str,
        offline_after: timedelta,
        late_after: timedelta,
        refresh: timedelta,
        retention_days: int,
        batch: int = 500,
    ) -> None:
        self._database = database
        self._clock = clock
        self._timezone = timezone
        self._offline_after = offline_after
        self._late_after = late_after
        self._refresh = refresh
        self._batch = batch
        self._retention_days = retention_days
        self._retained_on: date | None = None
        self._cursor: datetime | None = None

    def tick(self) -> int:
        """Summarize what is due; returns how many station-days."""
        now = self._clock.now()
        since = self._cursor - _OVERLAP if self._cursor is not None else now - timedelta(days=1)
        with self._database.session() as read:
            due = self._due(read, since, now)
        done = 0
        for batch in chunks(due, 50):
            with self._database.session(write=True) as write:
                areas = _areas(write, batch)
                for station_id, day in batch:
                    area = areas.get(station_id)
                    if area is None:
                        continue  # neither the station nor its recorded area is left
                    summarize(
                        session=write,
                        station_id=station_id,
                        day=day,
                        area=area,
                        now=now,
                        offline_after=self._offline_after,
                        late_after=self._late_after,
                    )
                    done += 1
                write.commit()
        self._cursor = now
        if done:
            log.info("reports: %d station-day summaries brought up to date", done)
        self._retain(now)
        return done

    def _retain(self, now: datetime) -> None:
        today = now.astimezone(ZoneInfo(self._timezone)).date()
        if self._retained_on == today:
            return
        with self._database.session(write=True) as write:
            removed = apply_retention(
                session=write, today=today, retention_days=self._retention_days
            )
            write.commit()
        self._retained_on = today
        if removed.before is not None:
            log.info("reports: history before %s let go: %s", removed.before, removed)

    def _due(self, session: Session, since: datetime, now: datetime) -> list[tuple[int, date]]:
        wanted: dict[tuple[int, date], None] = {}
        touched = select(col(AsRun.station_id), col(AsRun.day)).where(
            col(AsRun.received_at) >= since, col(AsRun.day).is_not(None)
        )
        for station_id, day in session.exec(touched.distinct()).all():
            if day is not None:
                wanted[(station_id, day)] = None
        today = now.astimezone(ZoneInfo(self._timezone)).date()
        for day in (today, today - timedelta(days=1)):
            planned = select(StationPlan.station_id).where(StationPlan.day == day).distinct()
            fresh = set(
                session.exec(
                    select(StationDaySummaryRow.station_id).where(
                        StationDaySummaryRow.day == day,
                        col(StationDaySummaryRow.computed_at) >= now - self._refresh,
                    )
                ).all()
            )
            for station_id in session.exec(planned).all():
                if station_id not in fresh:
                    wanted.setdefault((station_id, day), None)
        if len(wanted) < self._batch:
            missing = (
                select(col(StationPlan.station_id), col(StationPlan.day))
                .outerjoin(
                    StationDaySummaryRow,
                    (col(StationDaySummaryRow.station_id) == StationPlan.station_id)
                    & (col(StationDaySummaryRow.day) == StationPlan.day),
                )
                .where(col(StationDaySummaryRow.station_id).is_(None), StationPlan.day < today)
                .distinct()
                .order_by(col(StationPlan.day).desc())
                .limit(self._batch - len(wanted))
            )
            for station_id, day in session.exec(missing).all():
                wanted.setdefault((station_id, day), None)
        return list(wanted)[: max(self._batch, 1)]


def _areas(session: Session, due: list[tuple[int, date]]) -> dict[int, Area]:
    """Each station's area: its current one, or the one its plan of record names."""
    ids = sorted({station_id for station_id, _ in due})
    area_of: dict[int, int] = {}
    for station_id, area_id in session.exec(
        select(Station.id, Station.area_id).where(col(Station.id).in_(ids))
    ).all():
        if station_id is not None:
            area_of[station_id] = area_id
    for station_id, area_id in session.exec(
        select(StationPlan.station_id, StationPlan.area_id)
        .where(col(StationPlan.station_id).in_([s for s in ids if s not in area_of]))
        .distinct()
    ).all():
        area_of.setdefault(station_id, area_id)
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(area_of.values())))}
    return {s: areas[a] for s, a in area_of.items() if a in areas}
