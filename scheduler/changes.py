"""The change feed: which stations a batch of audit events makes stale.

Every change a person makes is an audit event, written in the same transaction as the
change, with gap-free ids (DESIGN.md). So the keeper follows the audit chain instead of
asking every route to remember to signal it: whatever changed content, sessions, the
queue, policy, areas, stations or groups is in the chain, and a crashed keeper resumes
from its cursor. Events of other kinds (users, sign-ins) touch no playlist.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from core.audit.models import AuditEvent
from core.db import chunks
from playlists.sessions.models import QueueEntry, SessionTarget
from stations.reach import stations_reached


@dataclass(slots=True)
class Scope:
    """What a batch of changes touched, before it is resolved to stations."""

    area_ids: set[int] = field(default_factory=set)  # subtrees
    group_ids: set[int] = field(default_factory=set)
    station_ids: set[int] = field(default_factory=set)
    session_ids: set[int] = field(default_factory=set)
    lineage_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any(
            (self.area_ids, self.group_ids, self.station_ids, self.session_ids, self.lineage_ids)
        )


def _sides(event: AuditEvent) -> list[dict[str, Any]]:
    sides = (json.loads(event.before_json), json.loads(event.after_json))
    return [side for side in sides if isinstance(side, dict)]


def _ints(sides: list[dict[str, Any]], key: str) -> set[int]:
    found: set[int] = set()
    for side in sides:
        value = side.get(key)
        if isinstance(value, list):
            found.update(v for v in value if isinstance(v, int))
        elif isinstance(value, int):
            found.add(value)
    return found


def scope_of(events: Iterable[AuditEvent]) -> Scope:
    scope = Scope()
    for event in events:
        sides = _sides(event)
        kind = event.object_type
        if kind == "session":
            scope.session_ids.add(int(event.object_id))
            scope.area_ids |= _ints(sides, "target_area_ids")
            scope.group_ids |= _ints(sides, "target_group_ids")
        elif kind == "queue":
            scope.session_ids |= _ints(sides, "session_id")
        elif kind == "content":
            scope.lineage_ids |= _ints(sides, "lineage_id")
        elif kind in ("area", "area_policy"):
            scope.area_ids.add(int(event.object_id))
        elif kind == "station":
            scope.station_ids.add(int(event.object_id))
        elif kind == "station_group":
            scope.station_ids |= _ints(sides, "station_ids")
    return scope


def stations_in(*, session: Session, scope: Scope) -> set[int]:
    """The stations, as they are now, that the scope touches."""
    sessions = set(scope.session_ids)
    for batch in chunks(sorted(scope.lineage_ids)):
        query = select(QueueEntry.session_id).where(col(QueueEntry.lineage_id).in_(batch))
        sessions.update(session.exec(query).all())
    area_ids, group_ids = set(scope.area_ids), set(scope.group_ids)
    for batch in chunks(sorted(sessions)):
        targets = select(SessionTarget.area_id, SessionTarget.group_id).where(
            col(SessionTarget.session_id).in_(batch)
        )
        for area_id, group_id in session.exec(targets).all():
            if area_id is not None:
                area_ids.add(area_id)
            if group_id is not None:
                group_ids.add(group_id)
    return stations_reached(
        session=session, area_ids=area_ids, group_ids=group_ids, station_ids=scope.station_ids
    )
