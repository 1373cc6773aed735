"""Area roll-ups: an area's station-day summaries over a range of days, in all and for each
of its sub-areas. Rows follow the station's area as it was when the day was summed, so a
merged commune's history still counts under the district it belonged to."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from core.areas.models import Area
from core.auth.permissions import in_scope
from reports.models import (
    AreaRollupPublic,
    BulletinCount,
    RollupDayPublic,
    RollupRowPublic,
    TotalsPublic,
)
from reports.summaries import DIMENSIONS, StationDaySummaryRow

COUNTS = (
    "planned",
    "due",
    "played",
    "late",
    "partial",
    "preempted",
    "failed",
    "skipped",
    "missing",
    "missing_offline",
    "missing_incomplete",
    "unplanned",
)
SECONDS = ("planned_s", "aired_s", "online_s", "elapsed_s")


@dataclass
class Totals:
    """Sums of station-day summaries (a working value: TotalsPublic is what is answered)."""

    stations: set[int] = field(default_factory=set)
    station_days: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SECONDS, 0.0))
    breakdown: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {d: {} for d in DIMENSIONS}
    )
    oldest: datetime | None = None

    def add_breakdown(self, breakdown: dict[str, dict[str, list[float]]]) -> None:
        for dimension, values in breakdown.items():
            cells = self.breakdown.setdefault(dimension, {})
            for value, (bulletins, seconds) in values.items():
                cell = cells.get(value)
                if cell is None:
                    cells[value] = [bulletins, seconds]
                else:
                    cell[0] += bulletins
                    cell[1] += seconds

    def add(self, row: StationDaySummaryRow) -> None:
        """One station-day's summary (where a few are read whole: one area's stations)."""
        self.stations.add(row.station_id)
        self.station_days += 1
        for name in COUNTS:
            self.counts[name] += getattr(row, name)
        for name in SECONDS:
            self.seconds[name] += getattr(row, name)
        self.add_breakdown(row.breakdown)
        if self.oldest is None or row.computed_at < self.oldest:
            self.oldest = row.computed_at

    def merge(self, other: Totals) -> None:
        self.stations |= other.stations
        self.station_days += other.station_days
        for name in COUNTS:
            self.counts[name] += other.counts[name]
        for name in SECONDS:
            self.seconds[name] += other.seconds[name]
        self.add_breakdown(other.breakdown)
        if other.oldest is not None and (self.oldest is None or other.oldest < self.oldest):
            self.oldest = other.oldest

    def public(self) -> TotalsPublic:
        due, seconds = self.counts["due"], self.seconds
        in_full = self.counts["played"] + self.counts["late"]

        def counted(dimension: str) -> dict[str, BulletinCount]:
            cells = self.breakdown.get(dimension, {})
            return {
                value: BulletinCount(bulletins=int(n), minutes=round(s / 60, 1))
                for value, (n, s) in sorted(cells.items())
            }

        return TotalsPublic(
            stations=len(self.stations),
            station_days=self.station_days,
            **self.counts,
            planned_minutes=round(seconds["planned_s"] / 60, 1),
            aired_minutes=round(seconds["aired_s"] / 60, 1),
            compliance=round(in_full / due, 4) if due else None,
            uptime=round(seconds["online_s"] / seconds["elapsed_s"], 4)
            if seconds["elapsed_s"]
            else None,
            by_tier=counted("tier"),
            by_category=counted("category"),
            by_language=counted("language"),
            by_origin=counted("origin"),
            by_hour=counted("hour"),
        )


def summed(
    *, session: Session, path: str, first: date, last: date
) -> dict[tuple[date, str], Totals]:
    """The summaries of the area's subtree over [first, last], summed for each day and
    area path: the counts and seconds by the database (GROUP BY), then the stations and
    the breakdowns, each row's JSON parsed once (never the whole row as an object)."""
    table = StationDaySummaryRow
    scope = (
        in_scope(col(table.area_path), [path]),
        col(table.day) >= first,
        col(table.day) <= last,
    )
    names = (*COUNTS, *SECONDS)
    sums = (
        select(
            col(table.day),
            col(table.area_path),
            func.count(),
            func.min(col(table.computed_at)),
            *(func.sum(getattr(table, name)) for name in names),
        )
        .where(*scope)
        .group_by(col(table.day), col(table.area_path))
    )
    cells: dict[tuple[date, str], Totals] = {}
    for day, area_path, count, oldest, *values in session.execute(sums).all():
        cell = cells[(day, area_path)] = Totals(station_days=count, oldest=oldest)
        for name, value in zip(names, values, strict=True):
            if name in cell.counts:
                cell.counts[name] = int(value or 0)
            else:
                cell.seconds[name] = float(value or 0.0)
    rows = select(
        col(table.day), col(table.area_path), col(table.station_id), col(table.breakdown_json)
    )
    for day, area_path, station_id, data in session.execute(rows.where(*scope)).all():
        cell = cells[(day, area_path)]
        cell.stations.add(station_id)
        cell.add_breakdown(json.loads(data))
    return cells


def area_rollup(
    *, session: Session, area: Area, period: str, first: date, last: date
) -> AreaRollupPublic:
    children = session.exec(
        select(Area).where(Area.parent_id == area.id).order_by(col(Area.name))
    ).all()
    cells = summed(session=session, path=area.path, first=first, last=last)
    total = Totals()
    parts: dict[str, Totals] = {}
    days: dict[date, Totals] = {}
    for (day, area_path), cell in cells.items():
        total.merge(cell)
        days.setdefault(day, Totals()).merge(cell)
        parts.setdefault(_part_of(area_path, area.path, children), Totals()).merge(cell)
    listed = [
        RollupRowPublic(
            area_id=c.id,
            name=c.name,
            code=c.code,
            level=c.level,
            path=c.path,
            totals=parts.pop(c.path, Totals()).public(),
        )
        for c in children
    ]
    # Stations of the area itself, then sub-areas since merged away, after the others.
    own = parts.pop(area.path, None)
    if own is not None:
        listed.append(
            RollupRowPublic(
                area_id=area.id,
                name=area.name,
                code=area.code,
                level=area.level,
                path=area.path,
                own=True,
                totals=own.public(),
            )
        )
    listed += [
        RollupRowPublic(area_id=None, name=None, code=None, level=None, path=p, totals=t.public())
        for p, t in sorted(parts.items())
    ]
    return AreaRollupPublic(
        area_id=area.id or 0,
        name=area.name,
        code=area.code,
        level=area.level,
        period=period,
        first=first,
        last=last,
        totals=total.public(),
        children=listed,
        days=[RollupDayPublic(date=d, totals=t.public()) for d, t in sorted(days.items())],
        summed_at=total.oldest,
    )


def _part_of(row_path: str, area_path: str, children: Iterable[Area]) -> str:
    """The child path a row falls under, else the path one level below the area (a
    sub-area since merged away), else the area's own path."""
    for child in children:
        if row_path.startswith(child.path):
            return child.path
    rest = row_path[len(area_path) :].strip("/")
    return f"{area_path}{rest.split('/')[0]}/" if rest else area_path
