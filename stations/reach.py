"""Which stations targets reach: area subtrees, station groups and named stations, resolved
to station ids as the stations stand now. The playlist keeper and emergency alerts both ask.

A group reaches only its members inside its own area's subtree: a station moved to another
commune leaves the reach of the groups of the commune it left, whatever the membership rows
still say, so nobody reaches a station outside their area through an old group.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.db import chunks
from stations.models import Station, StationGroup, StationGroupMember

_StationArea = aliased(Area)
_GroupArea = aliased(Area)


def group_members_query() -> Select[int, int]:
    """(group id, station id) of every member a group reaches: the membership rows whose
    station lies in the group's area subtree. Callers add their own conditions."""
    return (
        select(StationGroupMember.group_id, StationGroupMember.station_id)
        .join(StationGroup, col(StationGroup.id) == StationGroupMember.group_id)
        .join(Station, col(Station.id) == StationGroupMember.station_id)
        .join(_StationArea, col(_StationArea.id) == Station.area_id)
        .join(_GroupArea, col(_GroupArea.id) == StationGroup.area_id)
        .where(_inside_group_area())
    )


def _inside_group_area() -> ColumnElement[bool]:
    # Area paths hold digits and slashes only, so LIKE needs no escaping here.
    return col(_StationArea.path).startswith(col(_GroupArea.path))


def stations_reached(
    *,
    session: Session,
    area_ids: Collection[int] = (),
    group_ids: Collection[int] = (),
    station_ids: Iterable[int] = (),
) -> set[int]:
    """The stations in the area subtrees, those the groups reach, and those named."""
    stations = set(station_ids)
    stations |= _stations_below(session, set(area_ids))
    query = group_members_query()
    for batch in chunks(sorted(set(group_ids))):
        rows = session.exec(query.where(col(StationGroupMember.group_id).in_(batch))).all()
        stations.update(station_id for _, station_id in rows)
    return stations


def station_areas(session: Session, station_ids: Iterable[int]) -> dict[int, int]:
    """The area of each of the stations named that still exists (a deleted one is left
    out): an alert naming stations reaches them where they are now."""
    found: dict[int, int] = {}
    for batch in chunks(sorted(set(station_ids))):
        query = select(Station.id, Station.area_id).where(col(Station.id).in_(batch))
        found.update((i, area) for i, area in session.exec(query).all() if i is not None)
    return found


def _stations_below(session: Session, area_ids: set[int]) -> set[int]:
    paths: set[str] = set()
    for batch in chunks(sorted(area_ids)):
        paths.update(session.exec(select(Area.path).where(col(Area.id).in_(batch))).all())
    # A subtree inside another adds nothing: keep only the outermost paths.
    outermost = [p for p in sorted(paths) if not any(p != q and p.startswith(q) for q in paths)]
    found: set[int] = set()
    for prefixes in chunks(outermost, 200):
        query = within_areas(
            select(col(Station.id)), area_id=col(Station.area_id), prefixes=prefixes
        )
        found.update(s for s in session.exec(query).all() if s)
    return found
