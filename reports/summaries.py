"""Each station-day's reconciliation, summed and kept (`station_day_summary`): roll-ups over
an area and a month read these rows, never the as-run log itself.

The server's scheduler keeps them (reports/summarizer.py): a day whose records arrive is
summed again, and today's and yesterday's are refreshed as their items fall due. A row keeps
the station's area as it was when the day was first summed, so moving the station or
merging communes later never moves its history.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, Session, SQLModel

from core.areas.models import Area
from core.sqltypes import UTCDateTime
from reports.models import StationDayPublic
from reports.station_day import station_day

# Outcomes an aired item can have: what the breakdowns count.
AIRED = ("played", "late", "partial", "preempted")
DIMENSIONS = ("tier", "category", "language", "origin", "hour")


class StationDaySummaryRow(SQLModel, table=True):
    __tablename__ = "station_day_summary"
    # A roll-up reads an area's subtree over a range of days: text_pattern_ops lets
    # PostgreSQL serve "area_path LIKE 'prefix%'" from the index.
    __table_args__ = (
        Index(
            "ix_station_day_summary_path_day",
            "area_path",
            "day",
            postgresql_ops={"area_path": "text_pattern_ops"},
        ),
    )

    station_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True, index=True)
    area_id: int
    area_path: str = Field(max_length=400)
    timezone: str = Field(max_length=64)
    planned: int = 0
    due: int = 0
    played: int = 0
    late: int = 0
    partial: int = 0
    preempted: int = 0
    failed: int = 0
    skipped: int = 0
    missing: int = 0
    missing_offline: int = 0
    missing_incomplete: int = 0
    upcoming: int = 0
    unplanned: int = 0
    planned_s: float = 0.0
    aired_s: float = 0.0
    online_s: float = 0.0
    elapsed_s: float = 0.0
    # {"tier": {"normal": [bulletins, seconds]}, "category": ..., "language": ...,
    #  "origin": {"commune": [...]}}: what aired, by what it was when it aired.
    breakdown_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    incomplete_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    computed_at: datetime = Field(sa_type=UTCDateTime)

    @property
    def breakdown(self) -> dict[str, dict[str, list[float]]]:
        loaded: dict[str, dict[str, list[float]]] = json.loads(self.breakdown_json)
        return loaded


def summarize(
    *,
    session: Session,
    station_id: int,
    day: date,
    area: Area,
    now: datetime,
    offline_after: timedelta,
    late_after: timedelta,
) -> StationDaySummaryRow:
    """Reconcile the station-day and keep its sums (the row's area stays the first one)."""
    report = station_day(
        session=session,
        station_id=station_id,
        day=day,
        timezone=area.timezone,
        now=now,
        offline_after=offline_after,
        late_after=late_after,
    )
    row = session.get(StationDaySummaryRow, (station_id, day))
    if row is None:
        assert area.id is not None
        row = StationDaySummaryRow(
            station_id=station_id,
            day=day,
            area_id=area.id,
            area_path=area.path,
            timezone=area.timezone,
            computed_at=now,
        )
    _fill(row, report, _breakdown(report))
    row.computed_at = now
    session.add(row)
    return row


def _fill(row: StationDaySummaryRow, report: StationDayPublic, breakdown: dict[str, Any]) -> None:
    summary = report.summary
    outcomes = summary.outcomes
    for name in ("played", "late", "partial", "preempted", "failed", "skipped", "missing"):
        setattr(row, name, outcomes.get(name, 0))
    row.upcoming = outcomes.get("upcoming", 0)
    reasons = Counter(i.reason for i in report.items if i.outcome == "missing")
    row.missing_offline = reasons["offline"]
    row.missing_incomplete = reasons["data_incomplete"]
    row.planned, row.due = summary.planned, summary.due
    row.planned_s, row.aired_s = summary.planned_s, summary.aired_s
    row.online_s, row.elapsed_s = summary.online_s, summary.elapsed_s
    row.unplanned = len(report.unplanned)
    row.incomplete_since = summary.incomplete_since
    row.breakdown_json = json.dumps(breakdown, sort_keys=True, ensure_ascii=False)


def _breakdown(report: StationDayPublic) -> dict[str, Any]:
    """What aired (planned or not), counted by its snapshot: tier, category, language, the
    level of the area that owned it, and the station's local hour it started in."""
    zone = ZoneInfo(report.timezone)
    records = [r for i in report.items if i.outcome in AIRED for r in i.records]
    records += [r for r in report.unplanned if r.result in ("played", "partial")]
    counts: dict[str, dict[str, list[float]]] = {d: {} for d in DIMENSIONS}
    seen: set[tuple[str, str]] = set()
    for record in records:
        key = record.item_id or record.id
        seconds = (
            (record.ended_at - record.started_at).total_seconds()
            if record.started_at and record.ended_at
            else 0.0
        )
        values = {
            "tier": record.tier or "unknown",
            "category": record.category or "",
            "language": record.language or "",
            "origin": record.owner_area_level or "unknown",
            "hour": f"{record.started_at.astimezone(zone).hour:02d}" if record.started_at else "",
        }
        for dimension, value in values.items():
            cell = counts[dimension].setdefault(value, [0, 0.0])
            if (dimension, key) not in seen:  # one bulletin, however many records
                cell[0] += 1
            cell[1] = round(cell[1] + seconds, 3)
        seen.update((d, key) for d in DIMENSIONS)
    return counts
