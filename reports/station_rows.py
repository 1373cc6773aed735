"""The stations of one area over a range of days, each with its totals: the last step of
the drill-down from an area to a station (and on to its days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.areas.models import Area
from reports.models import TotalsPublic
from reports.rollup import Totals
from reports.summaries import StationDaySummaryRow
from stations.models import Station

LISTED = 500  # a village or commune holds a few dozen clusters


@dataclass(frozen=True)
class StationTotals:
    station_id: int
    name: str
    code: str | None
    totals: TotalsPublic


def station_totals(*, session: Session, area: Area, first: date, last: date) -> list[StationTotals]:
    """The area's own stations (not its sub-areas'), now in it, by name; each summed over
    the days it was summed in this area (its history elsewhere stays with the area it
    was in)."""
    stations = session.exec(
        select(Station).where(Station.area_id == area.id).order_by(col(Station.name)).limit(LISTED)
    ).all()
    ids = [s.id for s in stations if s.id is not None]
    sums: dict[int, Totals] = {}
    rows = session.exec(
        select(StationDaySummaryRow).where(
            col(StationDaySummaryRow.station_id).in_(ids),
            StationDaySummaryRow.area_path == area.path,
            col(StationDaySummaryRow.day) >= first,
            col(StationDaySummaryRow.day) <= last,
        )
    )
    for row in rows:
        sums.setdefault(row.station_id, Totals()).add(row)
    return [
        StationTotals(s.id, s.name, s.code, sums.get(s.id, Totals()).public())
        for s in stations
        if s.id is not None
    ]
