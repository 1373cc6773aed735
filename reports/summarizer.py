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
from stations.fleet.models import AsRun, StationAgent
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
                    area = areas.get((station_id, day))
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
        """Every day new records touched (never cut: the cursor moves past them), then up to
        a batch of the stalest: today's and yesterday's sums older than `refresh`, days summed
        as "data incomplete" whose station has been heard from since, and days not summed
        yet, newest first."""
        wanted: dict[tuple[int, date], None] = {}
        touched = select(col(AsRun.station_id), col(AsRun.day)).where(
            col(AsRun.received_at) >= since, col(AsRun.day).is_not(None)
        )
        for station_id, day in session.exec(touched.distinct()).all():
            if day is not None:
                wanted[(station_id, day)] = None
        room = self._batch
        today = now.astimezone(ZoneInfo(self._timezone)).date()
        for key in self._stale(session, today, now)[:room]:
            wanted.setdefault(key, None)
        room -= len(wanted)
        if room > 0:
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
                .limit(room)
            )
            for station_id, day in session.exec(missing).all():
                wanted.setdefault((station_id, day), None)
        return list(wanted)

    def _stale(self, session: Session, today: date, now: datetime) -> list[tuple[int, date]]:
        """Sums due again, the oldest first, so no station waits behind the others."""
        found: list[tuple[datetime | None, int, date]] = []
        for day in (today, today - timedelta(days=1)):
            computed = dict(
                session.exec(
                    select(StationDaySummaryRow.station_id, StationDaySummaryRow.computed_at).where(
                        StationDaySummaryRow.day == day
                    )
                ).all()
            )
            planned = select(StationPlan.station_id).where(StationPlan.day == day).distinct()
            for station_id in session.exec(planned).all():
                at = computed.get(station_id)
                if at is None or at < now - self._refresh:
                    found.append((at, station_id, day))
        heard = (
            select(col(StationDaySummaryRow.station_id), col(StationDaySummaryRow.day))
            .join(StationAgent, col(StationAgent.station_id) == StationDaySummaryRow.station_id)
            .where(
                col(StationDaySummaryRow.missing_incomplete) > 0,
                col(StationAgent.last_seen_at) > StationDaySummaryRow.computed_at,
                col(StationDaySummaryRow.computed_at) < now - self._refresh,
            )
            .limit(self._batch)
        )
        found += [(None, station_id, day) for station_id, day in session.exec(heard).all()]
        found.sort(key=lambda f: (f[0] is not None, f[0] or now))
        return [(station_id, day) for _, station_id, day in found]


def _areas(session: Session, due: list[tuple[int, date]]) -> dict[tuple[int, date], Area]:
    """Each station-day's area: the one its plan of record names for that day, else the
    station's current one (summaries keep the area a day was planned under)."""
    ids = sorted({station_id for station_id, _ in due})
    area_of: dict[tuple[int, date], int] = {}
    current: dict[int, int] = {}
    for batch in chunks(ids):
        for station_id, area_id in session.exec(
            select(Station.id, Station.area_id).where(col(Station.id).in_(batch))
        ).all():
            if station_id is not None:
                current[station_id] = area_id
        for station_id, day, area_id in session.exec(
            select(
                col(StationPlan.station_id), col(StationPlan.day), col(StationPlan.area_id)
            ).where(
                col(StationPlan.station_id).in_(batch),
                col(StationPlan.day).in_(sorted({d for _, d in due})),
            )
        ).all():
            area_of[(station_id, day)] = area_id  # moved mid-day: one of its two areas
    for key in due:
        if key not in area_of and key[0] in current:
            area_of[key] = current[key[0]]
    area_ids = sorted(set(area_of.values()))
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(area_ids)))}
    return {k: areas[a] for k, a in area_of.items() if a in areas}
