"""Proof of play (bằng chứng phát sóng): where and when a bulletin aired, on how many of
the stations it was planned for, and why not on the others ("41/44 cụm loa; 3 offline since
05:10"). A bulletin is its lineage: every version of it. The stations are those now in the
caller's areas (a station since deleted is no longer listed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.areas.scope import within_areas
from core.db import chunks
from playlists.content.models import ContentItem
from playlists.timelines.record import (
    PlanVersion,
    StationPlan,
    effective_items,
    timelines_by_digest,
)
from reports.models import AiredPublic, ProofOfPlayPublic, ProofStationPublic
from stations.fleet.models import AsRun, StationAgent
from stations.models import Station

AIRED = ("played", "partial")


def proof_of_play(
    *,
    session: Session,
    lineage_id: int,
    prefixes: Sequence[str],
    first: date,
    last: date,
    now: datetime,
    offline_after: timedelta,
) -> ProofOfPlayPublic:
    versions = session.exec(select(ContentItem).where(ContentItem.lineage_id == lineage_id)).all()
    content_ids = {v.id for v in versions if v.id is not None}
    in_scope = _stations_in_scope(session, prefixes)
    planned = _planned(session, content_ids, in_scope, first, last)
    records = _records(session, lineage_id, content_ids, in_scope, first, last)
    aired: dict[int, list[AsRun]] = defaultdict(list)
    for row in records:
        if row.result in AIRED:
            aired[row.station_id].append(row)
    station_ids = sorted(planned.keys() | aired.keys())
    names: dict[int, str] = {}
    agents: dict[int, StationAgent] = {}
    for batch in chunks(station_ids):
        query = select(Station.id, Station.name).where(col(Station.id).in_(batch))
        names.update((sid, name) for sid, name in session.exec(query).all() if sid is not None)
        found = select(StationAgent).where(col(StationAgent.station_id).in_(batch))
        agents.update((a.station_id, a) for a in session.exec(found))
    stations = [
        _station(
            s, names.get(s), planned.get(s, []), aired.get(s, []), agents.get(s), now, offline_after
        )
        for s in station_ids
    ]
    latest = max(versions, key=lambda v: v.version, default=None)
    title = latest.title if latest else next((r.snapshot_title for r in records), None)
    if not station_ids:
        title = None  # nothing of it in the caller's areas: say nothing of it either
    not_aired = [s for s in stations if s.planned and not s.aired]
    offline = [s for s in not_aired if s.offline_since is not None]
    return ProofOfPlayPublic(
        lineage_id=lineage_id,
        title=title,
        first=first,
        last=last,
        targeted=sum(1 for s in stations if s.planned),
        aired_on=sum(1 for s in stations if s.planned and s.aired),
        aired_unplanned=sum(1 for s in stations if s.aired and not s.planned),
        not_aired=len(not_aired),
        offline=len(offline),
        offline_since=min((s.offline_since for s in offline if s.offline_since), default=None),
        stations=stations,
        records=[AiredPublic.of(r) for r in records],
    )


# A version of a station's day as _planned reads it: version, digest, in force from, until.
_Version = tuple[int, str, datetime, datetime | None]


def _planned(
    session: Session, content_ids: set[int], stations: set[int], first: date, last: date
) -> dict[int, list[datetime]]:
    """Each station in scope that had the bulletin in force, with the planned starts."""
    if not content_ids:
        return {}
    days: dict[tuple[int, date], list[_Version]] = defaultdict(list)
    for batch in chunks(sorted(stations)):
        query = sa_select(
            col(StationPlan.station_id),
            col(StationPlan.day),
            col(StationPlan.version),
            col(StationPlan.digest),
            col(StationPlan.in_force_from),
            col(StationPlan.in_force_until),
        ).where(
            col(StationPlan.station_id).in_(batch),
            col(StationPlan.day) >= first,
            col(StationPlan.day) <= last,
        )
        order = (col(StationPlan.in_force_from), col(StationPlan.id))
        for station_id, day, *version in session.execute(query.order_by(*order)).all():
            days[(station_id, day)].append((version[0], version[1], version[2], version[3]))
    timelines = timelines_by_digest(
        session=session, digests={v[1] for versions in days.values() for v in versions}
    )
    holding = {
        digest
        for digest, t in timelines.items()
        if any(i.content_id in content_ids for i in t.items)
    }
    # The stations of a commune share their day's versions: each set is read once.
    known: dict[tuple[_Version, ...], list[datetime]] = {}
    starts: dict[int, list[datetime]] = defaultdict(list)
    for (station_id, _day), versions in days.items():
        if not any(v[1] in holding for v in versions):
            continue
        key = tuple(versions)
        found = known.get(key)
        if found is None:
            in_force = [PlanVersion(*v, timelines[v[1]]) for v in versions if v[1] in timelines]
            found = known[key] = [
                i.start for i in effective_items(in_force) if i.content_id in content_ids
            ]
        if found:
            starts[station_id].extend(found)
    return starts


def _records(
    session: Session,
    lineage_id: int,
    content_ids: set[int],
    stations: set[int],
    first: date,
    last: date,
) -> list[AsRun]:
    same = col(AsRun.snapshot_lineage_id) == lineage_id
    if content_ids:
        same = same | col(AsRun.content_id).in_(sorted(content_ids))
    found: list[AsRun] = []
    for batch in chunks(sorted(stations)):
        query = select(AsRun).where(
            col(AsRun.station_id).in_(batch), same, col(AsRun.day) >= first, col(AsRun.day) <= last
        )
        found.extend(session.exec(query))
    return sorted(found, key=lambda r: (r.occurred_at, r.id))


def _stations_in_scope(session: Session, prefixes: Sequence[str]) -> set[int]:
    """Like the station reports, proof follows each station's current area."""
    query = within_areas(select(col(Station.id)), area_id=col(Station.area_id), prefixes=prefixes)
    return {s for s in session.exec(query).all() if s is not None}


def _station(
    station_id: int,
    name: str | None,
    planned: list[datetime],
    aired: list[AsRun],
    agent: StationAgent | None,
    now: datetime,
    offline_after: timedelta,
) -> ProofStationPublic:
    moments = sorted(r.started_at for r in aired if r.started_at is not None)
    last_seen = agent.last_seen_at if agent is not None else None
    offline_since = last_seen if last_seen is not None and now - last_seen > offline_after else None
    if agent is not None and last_seen is None:
        offline_since = agent.enrolled_at  # enrolled, never heard from since
    pending = agent.asrun_pending_since if agent is not None and agent.asrun_pending else None
    return ProofStationPublic(
        station_id=station_id,
        name=name,
        planned=len(planned),
        aired=len({r.item_id or r.id for r in aired}),
        first_aired=moments[0] if moments else None,
        last_aired=moments[-1] if moments else None,
        offline_since=offline_since,
        incomplete_since=pending,
    )
