"""Station health history: the spells each station was online, from its heartbeats.

A spell runs from a heartbeat that came after the station had been offline (no heartbeat
for `station_offline_after_s`) to the last heartbeat before it went offline again; the gaps
between spells are the offline spells. Written with the heartbeats' own batch, once a
second: a heartbeat extends its station's latest spell, or opens a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, and_, bindparam, func, insert, update
from sqlmodel import Field, Session, SQLModel, col, select

from core.db import chunks
from core.sqltypes import UTCDateTime


class StationPresence(SQLModel, table=True):
    """One spell a station was online: its first and its last heartbeat."""

    __tablename__ = "station_presence"
    __table_args__ = (Index("ix_station_presence_station_seen", "station_id", "last_seen_at"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int  # no foreign key: the history outlives the station
    online_from: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)


@dataclass(frozen=True, slots=True)
class Spell:
    start: datetime
    end: datetime  # the last heartbeat


def record_beats(
    *, session: Session, beats: Mapping[int, datetime], offline_after: timedelta
) -> None:
    """Extend each beating station's latest spell, or open a new one after a silence
    longer than `offline_after`. The latest spell is read from the spells themselves, so
    two processes flushing the same station at once cost at most a spell split in two."""
    latest: dict[int, datetime] = {}
    for batch in chunks(sorted(beats)):
        query = (
            select(StationPresence.station_id, func.max(StationPresence.last_seen_at))
            .where(col(StationPresence.station_id).in_(batch))
            .group_by(col(StationPresence.station_id))
        )
        latest.update((sid, seen) for sid, seen in session.exec(query).all() if seen is not None)
    going_on = {
        sid: at
        for sid, at in beats.items()
        if (last := latest.get(sid)) is not None and last <= at and at - last <= offline_after
    }
    table = StationPresence.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(
            and_(
                table.c.station_id == bindparam("p_station"),
                table.c.last_seen_at == bindparam("p_previous"),
            )
        )
        .values(last_seen_at=bindparam("p_now"))
    )
    rows = [
        {"p_station": sid, "p_previous": latest[sid], "p_now": at}
        for sid, at in sorted(going_on.items())
    ]
    for extended in chunks(rows, 1000):
        session.execute(statement, extended)
    opened = [
        {"station_id": sid, "online_from": at, "last_seen_at": at}
        for sid, at in sorted(beats.items())
        # A beat older than the latest spell's end (another process got there first) adds
        # nothing: that spell already covers it.
        if sid not in going_on and (sid not in latest or at > latest[sid])
    ]
    for new in chunks(opened, 1000):
        session.execute(insert(StationPresence), new)


def spells_between(
    *, session: Session, station_id: int, start: datetime, end: datetime
) -> list[Spell]:
    """The station's online spells that overlap [start, end), oldest first."""
    query = select(StationPresence).where(
        StationPresence.station_id == station_id,
        col(StationPresence.last_seen_at) >= start,
        col(StationPresence.online_from) < end,
    )
    rows = session.exec(query.order_by(col(StationPresence.online_from)))
    return [Spell(r.online_from, r.last_seen_at) for r in rows]


def online_seconds(spells: Iterable[Spell], start: datetime, end: datetime) -> float:
    """Pure: how long the spells cover of [start, end)."""
    total = 0.0
    for spell in spells:
        overlap = min(spell.end, end) - max(spell.start, start)
        total += max(overlap.total_seconds(), 0.0)
    return total


def online_at(spells: Sequence[Spell], moment: datetime, offline_after: timedelta) -> bool:
    """Pure: whether the station counted as online at `moment` (within a spell, or less
    than the offline threshold after its last beat)."""
    return any(s.start <= moment <= s.end + offline_after for s in spells)
