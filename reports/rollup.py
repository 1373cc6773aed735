"""Area roll-ups: an area's station-day summaries over a range of days, in all and for each
of its sub-areas. Rows follow the station's area as it was when the day was summed, so a
merged commune's history still counts under the district it belonged to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

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

    def add(self, row: StationDaySummaryRow) -> None:
        self.stations.add(row.station_id)
        self.station_days += 1
        for name in COUNTS:
            self.counts[name] += getattr(row, name)
        for name in SECONDS:
            self.seconds[name] += getattr(row, name)
        for dimension, values in row.breakdown.items():
            cells = self.breakdown.setdefault(dimension, {})
            for value, (bulletins, seconds) in values.items():
                cell = cells.setdefault(value, [0, 0.0])
                cell[0] += bulletins
                cell[1] += seconds
        if self.oldest is None or row.computed_at < self.oldest:
            self.oldest = row.computed_at

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


def summary_rows(
    *, session: Session, path: str, first: date, last: date
) -> Sequence[StationDaySummaryRow]:
    query = select(StationDaySummaryRow).where(
        in_scope(col(StationDaySummaryRow.area_path), [path]),
        col(StationDaySummaryRow.day) >= first,
        col(StationDaySummaryRow.day) <= last,
    )
    return session.exec(query).all()


def area_rollup(
    *, session: Session, area: Area, period: str, first: date, last: date
) -> AreaRollupPublic:
    children = session.exec(
        select(Area).where(Area.parent_id == area.id).order_by(col(Area.name))
    ).all()
    rows = summary_rows(session=session, path=area.path, first=first, last=last)
    total = Totals()
    parts: dict[str, Totals] = {}
    days: dict[date, Totals] = {}
    for row in rows:
        total.add(row)
        days.setdefault(row.day, Totals()).add(row)
        parts.setdefault(_part_of(row.area_path, area.path, children), Totals()).add(row)
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
    # Stations of the area itself, and sub-areas since merged away, after the others.
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
