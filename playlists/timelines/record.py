"""The plan of record: every version of a station's day that was in force, and from when to
when. Builds only ever look forward; this is what the past is read from, never recomputed.

A row is written when a build gives a station's day a new timeline: the open row of that
day (if any) is closed at that moment and the new one opens. A day that has left the horizon
keeps its last row open: it was in force until the day ended. Rows outlive the station
(no foreign key), and keep the area the station was in, so a moved or deleted station keeps
its history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Index, insert, update
from sqlmodel import Field, Session, SQLModel, col, select

from core.db import chunks
from core.sqltypes import UTCDateTime
from playlists.timelines.models import (
    PlanVersionPublic,
    StoredItem,
    StoredTimeline,
    TimelineBody,
)


class StationPlan(SQLModel, table=True):
    """One version of one station's local day, and when it was in force."""

    __tablename__ = "station_plan"
    __table_args__ = (
        Index("ix_station_plan_station_day", "station_id", "day"),
        Index("ix_station_plan_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    station_id: int
    area_id: int  # the station's area when this version came into force
    day: date
    version: int  # the station's build (manifest) version that carried it
    digest: str = Field(max_length=64)  # the timeline body
    in_force_from: datetime = Field(sa_type=UTCDateTime)
    in_force_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """A version of a station's day with its timeline, as the plan of record holds it."""

    version: int
    digest: str
    in_force_from: datetime
    in_force_until: datetime | None
    timeline: StoredTimeline

    def public(self) -> PlanVersionPublic:
        return PlanVersionPublic(
            version=self.version,
            digest=self.digest,
            in_force_from=self.in_force_from,
            in_force_until=self.in_force_until,
        )


@dataclass(frozen=True, slots=True)
class NewDays:
    """A station's new build: its version, its area and the digest of each local day."""

    version: int
    area_id: int
    days: Mapping[str, str]  # ISO date -> digest


def record_plans(*, session: Session, builds: Mapping[int, NewDays], now: datetime) -> int:
    """Open a plan row for each station-day whose timeline changed, closing the one it
    replaces; returns how many opened."""
    if not builds:
        return 0
    first_day = min(date.fromisoformat(d) for b in builds.values() for d in b.days)
    open_rows: dict[tuple[int, date], tuple[int, str]] = {}
    for batch in chunks(sorted(builds)):
        query = select(StationPlan).where(
            col(StationPlan.station_id).in_(batch),
            col(StationPlan.in_force_until).is_(None),
            col(StationPlan.day) >= first_day,
        )
        for row in session.exec(query).all():
            assert row.id is not None
            open_rows[(row.station_id, row.day)] = (row.id, row.digest)
    closing: list[int] = []
    opening: list[dict[str, object]] = []
    for station_id, build in sorted(builds.items()):
        for iso, digest in sorted(build.days.items()):
            day = date.fromisoformat(iso)
            current = open_rows.get((station_id, day))
            if current is not None and current[1] == digest:
                continue
            if current is not None:
                closing.append(current[0])
            opening.append(
                {
                    "station_id": station_id,
                    "area_id": build.area_id,
                    "day": day,
                    "version": build.version,
                    "digest": digest,
                    "in_force_from": now,
                    "in_force_until": None,
                }
            )
    for ids in chunks(closing):
        session.execute(
            update(StationPlan)
            .where(col(StationPlan.id).in_(ids))
            .values(in_force_until=now)
            .execution_options(synchronize_session=False)
        )
    for rows in chunks(opening, 1000):
        session.execute(insert(StationPlan), rows)
    return len(opening)


def plan_rows(*, session: Session, station_id: int, day: date) -> list[StationPlan]:
    query = select(StationPlan).where(StationPlan.station_id == station_id, StationPlan.day == day)
    return list(session.exec(query.order_by(col(StationPlan.in_force_from), col(StationPlan.id))))


def plan_versions(*, session: Session, station_id: int, day: date) -> list[PlanVersion]:
    """Every version of the station's day that was in force, oldest first."""
    rows = plan_rows(session=session, station_id=station_id, day=day)
    timelines = timelines_by_digest(session=session, digests={r.digest for r in rows})
    return [
        PlanVersion(r.version, r.digest, r.in_force_from, r.in_force_until, timelines[r.digest])
        for r in rows
        if r.digest in timelines
    ]


def timelines_by_digest(*, session: Session, digests: set[str]) -> dict[str, StoredTimeline]:
    found: dict[str, StoredTimeline] = {}
    for batch in chunks(sorted(digests)):
        for body in session.exec(select(TimelineBody).where(col(TimelineBody.digest).in_(batch))):
            found[body.digest] = body.timeline()
    return found


def referenced_digests(*, session: Session) -> set[str]:
    """The bodies the plan of record needs: pruning keeps them."""
    return set(session.exec(select(StationPlan.digest).distinct()).all())


def effective_items(versions: Sequence[PlanVersion]) -> list[StoredItem]:
    """Pure: the day's plan as it was in force. An item counts in the version that was in
    force at its start: items a later version dropped after they started (or aired) stay,
    items a version dropped before their time do not, and items before the station's first
    version (a station added at noon) were never planned for it."""
    items: dict[str, StoredItem] = {}
    for version in versions:
        for item in version.timeline.items:
            if item.start < version.in_force_from:
                continue  # the version then in force says, if any
            if version.in_force_until is not None and item.start >= version.in_force_until:
                continue  # a later version says
            items.setdefault(item.id, item)
    return sorted(items.values(), key=lambda i: (i.start, i.id))


def effective_timeline(versions: Sequence[PlanVersion]) -> StoredTimeline:
    """The last version's day, with the items of effective_items()."""
    last = versions[-1].timeline
    return last.model_copy(update={"items": tuple(effective_items(versions))})
