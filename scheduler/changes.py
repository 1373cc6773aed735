"""The change feed: which stations a batch of audit events makes stale.

Every change a person makes is an audit event, written in the same transaction as the
change, with gap-free ids (DESIGN.md). So the keeper follows the audit chain instead of
asking every route to remember to signal it, and a crashed keeper resumes from its cursor.
Each data function that changes what plays names it on purpose in the event's `affects`
(core.audit.chain.Affects); the keeper reads that, never the changed objects' fields.
Events of other kinds (users, sign-ins, alerts) touch no playlist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlmodel import Session, col, select

from core.audit.chain import Affects
from core.audit.models import AuditEvent
from core.db import chunks
from playlists.sessions.models import QueueEntry, SessionTarget
from stations.reach import stations_reached

log = logging.getLogger(__name__)

# The kinds of object whose changes decide what plays: their events must say what they
# affect. One that does not (a bug) makes the keeper rebuild every station, never none.
TRACKED_KINDS = frozenset(
    {"area", "area_policy", "station", "station_group", "content", "session", "queue"}
)


def scope_of(events: Iterable[AuditEvent]) -> Affects | None:
    """What the events affect together; None when one of a tracked kind does not say,
    which means every station."""
    scope = Affects()
    for event in events:
        if event.affects_json is not None:
            scope |= Affects.from_json(event.affects_json)
        elif event.object_type in TRACKED_KINDS:
            log.error(
                "audit event #%d (%s) names nothing it affects: rebuilding every station",
                event.id,
                event.action,
            )
            return None
    return scope


def stations_in(*, session: Session, scope: Affects) -> set[int]:
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
