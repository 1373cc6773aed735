"""The stations' status board (bảng trạng thái cụm loa): one area of the tree at a time, its
sub-areas with their counts ("Xã Sóc Sơn: 41/44 đang hoạt động") and, when few enough, its
stations in detail, grouped by the area each stands in.

The counts come from one aggregate query over the subtree (a station's status is worked out
from its last heartbeat at `now`, as stations/fleet/health.py does): a province's board with
thousands of stations costs one grouped scan, not one row per station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.auth.permissions import in_scope
from stations.fleet.health import stations_public
from stations.fleet.models import StationAgent
from stations.models import Station, StationPublic, StationStatus

# More stations than this under the area: the board lists its sub-areas' counts only, and
# the stations standing in the area itself.
DETAIL_LIMIT = 200


@dataclass(frozen=True)
class StatusCounts:
    online: int = 0
    offline: int = 0
    not_enrolled: int = 0
    revoked: int = 0

    @property
    def total(self) -> int:
        return self.online + self.offline + self.not_enrolled + self.revoked

    def __add__(self, other: StatusCounts) -> StatusCounts:
        return StatusCounts(
            self.online + other.online,
            self.offline + other.offline,
            self.not_enrolled + other.not_enrolled,
            self.revoked + other.revoked,
        )


@dataclass(frozen=True)
class AreaRow:
    area: Area
    counts: StatusCounts


@dataclass(frozen=True)
class StationsOfArea:
    area: Area
    stations: list[StationPublic]


@dataclass(frozen=True)
class Board:
    area: Area | None  # None: the reader's whole scope (several subtrees)
    counts: StatusCounts
    sub_areas: list[AreaRow]
    own: StatusCounts  # the stations standing in the area itself, not in a sub-area
    groups: list[StationsOfArea] = field(default_factory=list)
    detailed: bool = True  # every station under the area is listed in `groups`


def board(
    *,
    session: Session,
    prefixes: Sequence[str],
    area: Area | None,
    now: datetime,
    offline_after: timedelta,
    detail_limit: int = DETAIL_LIMIT,
) -> Board:
    """The board of `area` (None: the tops of the reader's scope), read at `now`."""
    if area is None:
        tops = _areas(session, [col(Area.path).in_(prefixes)])
        roots = prefixes
    else:
        tops = _areas(session, [col(Area.parent_id) == area.id, in_scope(col(Area.path), prefixes)])
        roots = (area.path,)
    by_area = _counts_by_area(session, roots, now - offline_after)
    total = sum(by_area.values(), StatusCounts())
    sub_areas = [
        AreaRow(a, sum((c for p, c in by_area.items() if p.startswith(a.path)), StatusCounts()))
        for a in tops
    ]
    own = by_area.get(area.path, StatusCounts()) if area else StatusCounts()
    detailed = total.total <= detail_limit
    if detailed:
        groups = _stations_of(session, in_scope(col(Area.path), roots), now, offline_after)
    elif area is not None and own.total:
        groups = _stations_of(session, col(Area.id) == area.id, now, offline_after)
    else:
        groups = []
    return Board(area, total, sub_areas, own, groups, detailed)


def _areas(session: Session, where: list[ColumnElement[bool]]) -> list[Area]:
    return list(session.exec(select(Area).where(*where).order_by(col(Area.name))))


def _counts_by_area(
    session: Session, roots: Sequence[str], seen_since: datetime
) -> dict[str, StatusCounts]:
    """Area path → the counts of the stations standing in that very area."""
    if not roots:
        return {}
    enrolled = col(StationAgent.token_hash).is_not(None)
    online = and_(enrolled, col(StationAgent.last_seen_at) >= seen_since)
    status = case(
        (col(StationAgent.station_id).is_(None), StationStatus.not_enrolled.value),
        (~enrolled, StationStatus.revoked.value),
        (online, StationStatus.online.value),
        else_=StationStatus.offline.value,
    )
    query = (
        select(Area.path, status, func.count())
        .select_from(Station)
        .join(Area, col(Area.id) == col(Station.area_id))
        .outerjoin(StationAgent, col(StationAgent.station_id) == col(Station.id))
        .where(in_scope(col(Area.path), roots))
        .group_by(col(Area.path), status)
    )
    tallies: dict[str, dict[str, int]] = {}
    for path, state, count in session.exec(query):
        tallies.setdefault(path, {})[state] = int(count)
    return {path: StatusCounts(**tally) for path, tally in tallies.items()}


def _stations_of(
    session: Session, where: ColumnElement[bool], now: datetime, offline_after: timedelta
) -> list[StationsOfArea]:
    rows = session.exec(
        select(Station, Area)
        .join(Area, col(Area.id) == col(Station.area_id))
        .where(where)
        .order_by(col(Area.path), col(Station.name), col(Station.id))
    ).all()
    public = stations_public(
        session=session, stations=[s for s, _ in rows], now=now, offline_after=offline_after
    )
    groups: list[StationsOfArea] = []
    for (_, area), station in zip(rows, public, strict=True):
        if not groups or groups[-1].area.id != area.id:
            groups.append(StationsOfArea(area, []))
        groups[-1].stations.append(station)
    return groups
