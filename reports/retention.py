"""Retention: plans of record, as-run records, health history and summaries older than
`report_retention_days` are deleted, but never a day of a month that no generated periodic
report covers yet. A month counts as reported when a report generated after the month
ended covers it: one of the root area, or
one for each top-level area that has history in it (a month without history has nothing to
keep). Run once a day by the summarizer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from core.areas.models import Area
from playlists.timelines.record import StationPlan
from reports.periodic import ReportGeneration
from reports.periods import Period, period_bounds
from reports.summaries import StationDaySummaryRow
from stations.fleet.models import AsRun
from stations.fleet.presence import StationPresence


@dataclass(frozen=True, slots=True)
class Removed:
    before: date | None  # every day before this one was let go (None: nothing was)
    plans: int = 0
    records: int = 0
    summaries: int = 0
    spells: int = 0


def keep_from(*, session: Session, today: date, retention_days: int) -> date | None:
    """The first day retention must keep (None: nothing is old enough to go)."""
    cutoff = today - timedelta(days=retention_days)
    oldest = session.exec(select(func.min(StationPlan.day))).one()
    oldest_summary = session.exec(select(func.min(StationDaySummaryRow.day))).one()
    starts = [d for d in (oldest, oldest_summary) if d is not None]
    if not starts or min(starts) >= cutoff:
        return None
    month = period_bounds(Period.month, min(starts))[0]
    roots = session.exec(select(Area).where(col(Area.parent_id).is_(None))).all()
    while month < cutoff:
        if not _reported(session, month, roots):
            return month
        month = period_bounds(Period.month, month)[1] + timedelta(days=1)
    return cutoff


def _reported(session: Session, month: date, roots: Sequence[Area]) -> bool:
    last = period_bounds(Period.month, month)[1]
    # Only a report made once the month was over saw all of it (a day's margin for zones).
    over = datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC)
    covering = session.exec(
        select(ReportGeneration.area_path).where(
            col(ReportGeneration.first) <= month,
            col(ReportGeneration.last) >= last,
            col(ReportGeneration.generated_at) >= over,
        )
    ).all()
    paths = set(covering)
    if any(root.path in paths for root in roots):
        return True
    top_level = session.exec(
        select(Area).where(col(Area.parent_id).in_([r.id for r in roots]))
    ).all()
    with_history = set(
        session.exec(
            select(StationDaySummaryRow.area_path)
            .where(col(StationDaySummaryRow.day) >= month, col(StationDaySummaryRow.day) <= last)
            .distinct()
        ).all()
    )
    # A month with no history under an area has nothing of it to keep.
    needed = [a for a in top_level if any(p.startswith(a.path) for p in with_history)]
    return all(a.path in paths for a in needed)


def apply_retention(*, session: Session, today: date, retention_days: int) -> Removed:
    before = keep_from(session=session, today=today, retention_days=retention_days)
    if before is None:
        return Removed(None)
    moment = datetime.combine(before, time(0), tzinfo=UTC) - timedelta(days=1)  # any zone
    counts = [
        session.execute(delete(table).where(column < value)).rowcount  # type: ignore[attr-defined]
        for table, column, value in (
            (StationPlan, col(StationPlan.day), before),
            (AsRun, col(AsRun.day), before),
            (StationDaySummaryRow, col(StationDaySummaryRow.day), before),
            (StationPresence, col(StationPresence.last_seen_at), moment),
        )
    ]
    return Removed(before, *counts)
