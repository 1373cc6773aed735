"""The stations of one area over a range of days, each with its totals: the last step of
the drill-down from an area to a station (and on to its days). A station counts where its
days were summed (the summary keeps the area); one since moved away is still listed, with
where it is now, so the list adds up to the area's own row of the roll-up."""

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
    name: str | None  # None: deleted since
    code: str | None
    moved_to: int | None  # the area it is in now, when not this one
    totals: TotalsPublic


def station_totals(*, session: Session, area: Area, first: date, last: date) -> list[StationTotals]:
    """The stations now in the area and those whose days in the range were summed in it,
    by name; each summed over its days in this area."""
    sums: dict[int, Totals] = {}
    rows = session.exec(
        select(StationDaySummaryRow).where(
            StationDaySummaryRow.area_id == area.id,
            col(StationDaySummaryRow.day) >= first,
            col(StationDaySummaryRow.day) <= last,
        )
    )
    for row in rows:
        sums.setdefault(row.station_id, Totals()).add(row)
    here = session.exec(select(Station).where(Station.area_id == area.id).limit(LISTED)).all()
    stations = {s.id: s for s in here if s.id is not None}
    gone = sorted(set(sums) - set(stations))
    if gone:
        found = session.exec(select(Station).where(col(Station.id).in_(gone[:LISTED]))).all()
        stations.update((s.id, s) for s in found if s.id is not None)
    listed = [
        StationTotals(
            station_id=sid,
            name=station.name if station else None,
            code=station.code if station else None,
            moved_to=station.area_id if station and station.area_id != area.id else None,
            totals=sums.get(sid, Totals()).public(),
        )
        for sid in {*stations, *sums}
        for station in [stations.get(sid)]
    ]
    return sorted(listed, key=lambda s: (s.moved_to is not None, s.name or "", s.station_id))
