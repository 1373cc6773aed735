"""The supervisors' dashboard: for each area the caller reports on, the last seven days
to today (compliance, missed, late, each day's aired against missed) and the stations
offline now. Read through the reports' own roll-up, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.auth.deps import AccessControl
from core.auth.permissions import in_scope
from reports.models import AreaRollupPublic, TotalsPublic
from reports.rollup import area_rollup
from stations.fleet.models import StationAgent
from stations.models import Station

DAYS = 7
AREAS_SHOWN = 20  # an admin of a few provinces; more are reached through the tree


@dataclass(frozen=True)
class AreaDashboard:
    area: Area
    week: AreaRollupPublic
    today: TotalsPublic | None  # None: nothing summed for today yet
    stations: int
    offline: int


def dashboard(
    *, session: Session, access: AccessControl, today: date, now: datetime, offline_after: timedelta
) -> list[AreaDashboard]:
    prefixes = access.scope_prefixes()
    areas = session.exec(
        select(Area).where(col(Area.path).in_(prefixes)).order_by(col(Area.path)).limit(AREAS_SHOWN)
    ).all()
    shown = []
    for area in areas:
        week = area_rollup(
            session=session,
            area=area,
            period="range",
            first=today - timedelta(days=DAYS - 1),
            last=today,
        )
        todays = [d.totals for d in week.days if d.date == today]
        stations, offline = _offline(session, area.path, now - offline_after)
        shown.append(AreaDashboard(area, week, todays[0] if todays else None, stations, offline))
    return shown


def _offline(session: Session, path: str, seen_after: datetime) -> tuple[int, int]:
    """The area's enrolled stations, and of them those not heard from since `seen_after`."""
    query = (
        select(
            func.count(),
            func.count().filter(
                or_(
                    col(StationAgent.last_seen_at).is_(None),
                    col(StationAgent.last_seen_at) < seen_after,
                )
            ),
        )
        .select_from(StationAgent)
        .join(Station, col(Station.id) == col(StationAgent.station_id))
        .join(Area, col(Area.id) == col(Station.area_id))
        .where(in_scope(col(Area.path), [path]), col(StationAgent.token_hash).is_not(None))
    )
    enrolled, offline = session.exec(query).one()
    return int(enrolled), int(offline)
