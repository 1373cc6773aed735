"""Finding a bulletin to prove: by its title, among what aired on the caller's stations
(as it was titled when it aired) and the content the caller may read, newest first. A
commune's supervisor finds the province's bulletin by what aired in the commune."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.auth.permissions import in_scope
from playlists.content.models import ContentItem
from reports.proof import AIRED
from stations.fleet.models import AsRun
from stations.models import Station

FOUND = 20


@dataclass(frozen=True)
class FoundBulletin:
    lineage_id: int
    title: str
    last_aired: datetime | None  # None: in the library, not aired on the caller's stations then
    stations: int  # how many of the caller's stations it aired on


def find_bulletins(
    *,
    session: Session,
    q: str,
    station_prefixes: Sequence[str],
    content_prefixes: Sequence[str],
    first: date,
    last: date,
) -> list[FoundBulletin]:
    """What aired from `first` to `last` (the stations' local days), then the library."""
    aired = (
        select(
            col(AsRun.snapshot_lineage_id),
            func.max(AsRun.snapshot_title),
            func.max(AsRun.started_at),
            func.count(func.distinct(AsRun.station_id)),
        )
        .join(Station, col(Station.id) == col(AsRun.station_id))
        .join(Area, col(Area.id) == col(Station.area_id))
        .where(
            in_scope(col(Area.path), station_prefixes),
            col(AsRun.snapshot_lineage_id).is_not(None),
            col(AsRun.result).in_(AIRED),
            col(AsRun.day) >= first,
            col(AsRun.day) <= last,
            col(AsRun.snapshot_title).icontains(q, autoescape=True),
        )
        .group_by(col(AsRun.snapshot_lineage_id))
        .order_by(func.max(AsRun.started_at).desc())
        .limit(FOUND)
    )
    found = {
        lineage: FoundBulletin(lineage, title or "", last, count)
        for lineage, title, last, count in session.exec(aired).all()
        if lineage is not None
    }
    library = within_areas(
        select(ContentItem), area_id=col(ContentItem.area_id), prefixes=content_prefixes
    )
    library = (
        library.where(col(ContentItem.title).icontains(q, autoescape=True))
        .order_by(col(ContentItem.id).desc())
        .limit(FOUND)
    )
    for item in session.exec(library).all():
        if item.lineage_id not in found and len(found) < FOUND:
            found[item.lineage_id] = FoundBulletin(item.lineage_id, item.title, None, 0)
    return sorted(found.values(), key=_newest_aired_first)


def _newest_aired_first(found: FoundBulletin) -> tuple[bool, float]:
    return found.last_aired is None, -found.last_aired.timestamp() if found.last_aired else 0.0
