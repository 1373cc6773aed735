"""Append to the audit chain and verify it.

Each event's hash covers its content and the previous event's hash, so altering,
removing or reordering an event breaks the chain at that event. The head row names the
newest event so that removing the tail is detected as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from core.areas.models import Area
from core.audit.models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who made a change: a user, or a named operator of the command line."""

    id: int | None
    name: str


@dataclass(frozen=True, kw_only=True)
class Affects:
    """What a change touches on the air, named on purpose by the data function that makes
    it and filed with its audit event: the playlist keeper rebuilds the stations these
    reach (scheduler/changes.py), whatever the changed objects' public fields are called."""

    area_ids: frozenset[int] = field(default_factory=frozenset)  # area subtrees
    group_ids: frozenset[int] = field(default_factory=frozenset)
    station_ids: frozenset[int] = field(default_factory=frozenset)
    session_ids: frozenset[int] = field(default_factory=frozenset)
    lineage_ids: frozenset[int] = field(default_factory=frozenset)  # content lineages

    @classmethod
    def of(
        cls,
        *,
        areas: Iterable[int | None] = (),
        groups: Iterable[int | None] = (),
        stations: Iterable[int | None] = (),
        sessions: Iterable[int | None] = (),
        lineages: Iterable[int | None] = (),
    ) -> Affects:
        def ids(values: Iterable[int | None]) -> frozenset[int]:
            return frozenset(v for v in values if v is not None)

        return cls(
            area_ids=ids(areas),
            group_ids=ids(groups),
            station_ids=ids(stations),
            session_ids=ids(sessions),
            lineage_ids=ids(lineages),
        )

    def __or__(self, other: Affects) -> Affects:
        return Affects(
            area_ids=self.area_ids | other.area_ids,
            group_ids=self.group_ids | other.group_ids,
            station_ids=self.station_ids | other.station_ids,
            session_ids=self.session_ids | other.session_ids,
            lineage_ids=self.lineage_ids | other.lineage_ids,
        )

    def __bool__(self) -> bool:
        return any(
            (self.area_ids, self.group_ids, self.station_ids, self.session_ids, self.lineage_ids)
        )

    def to_json(self) -> str:
        return canonical_json(
            {
                "areas": sorted(self.area_ids),
                "groups": sorted(self.group_ids),
                "stations": sorted(self.station_ids),
                "sessions": sorted(self.session_ids),
                "lineages": sorted(self.lineage_ids),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Affects:
        data = json.loads(text)
        return cls.of(
            areas=data.get("areas", ()),
            groups=data.get("groups", ()),
            stations=data.get("stations", ()),
            sessions=data.get("sessions", ()),
            lineages=data.get("lineages", ()),
        )


@dataclass(frozen=True)
class Subject:
    """What a change was made to: its kind, its id, and the area its history is filed under
    (read in that area's scope)."""

    kind: str
    id: object
    area_id: int | None


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(event: AuditEvent) -> str:
    fields: dict[str, Any] = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "area_id": event.area_id,
        "area_path": event.area_path,
        "before": event.before_json,
        "after": event.after_json,
        "prev_hash": event.prev_hash,
    }
    # Only when present, so events written before the change feed existed verify as before.
    if event.affects_json is not None:
        fields["affects"] = event.affects_json
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def record(
    *,
    session: Session,
    actor: Actor,
    action: str,
    subject: Subject,
    now: datetime,
    before: Any = None,
    after: Any = None,
    affects: Affects | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with the change.

    The one way to record a change a person made. `affects` names what the change touches
    on the air (nothing, for users, sign-ins and alerts)."""
    head = _locked_head(session)
    event = AuditEvent(
        id=head.last_event_id + 1,
        # Stored and read back as UTC: hash the same form that verify will see.
        occurred_at=now.astimezone(UTC),
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        object_type=subject.kind,
        object_id=str(subject.id),
        area_id=subject.area_id,
        area_path=_area_path(session, subject.area_id),
        before_json=canonical_json(before),
        after_json=canonical_json(after),
        affects_json=affects.to_json() if affects is not None else None,
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(event)
    head.last_event_id = event.id
    head.last_hash = event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


def _area_path(session: Session, area_id: int | None) -> str | None:
    if area_id is None:
        return None
    return session.exec(select(Area.path).where(Area.id == area_id)).first()


def _locked_head(session: Session) -> AuditHead:
    # FOR UPDATE serialises appends on PostgreSQL; SQLite write transactions are already
    # serialised (BEGIN IMMEDIATE).
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, last_event_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit event #{self.event_id}: {self.reason}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(*, session: Session, batch_size: int = 1000) -> VerifyResult:
    """Walk the chain from the first event and report the first one altered or removed."""
    expected_id = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in _events(session, batch_size):
        if event.id != expected_id:
            return VerifyResult(
                checked, ChainProblem(expected_id, "missing: the event was removed")
            )
        if event_hash(event) != event.hash:
            return VerifyResult(
                checked, ChainProblem(event.id, "its content does not match its hash (altered)")
            )
        if event.prev_hash != prev_hash:
            # The event itself is intact, so its predecessor was rewritten and re-hashed.
            reason = f"altered and re-hashed: event #{event.id} recorded a different hash for it"
            return VerifyResult(checked, ChainProblem(event.id - 1, reason))
        prev_hash = event.hash
        expected_id += 1
        checked += 1
    head = session.get(AuditHead, 1)
    last_id, last_hash = (head.last_event_id, head.last_hash) if head else (0, GENESIS_HASH)
    if last_id >= expected_id:
        return VerifyResult(checked, ChainProblem(expected_id, "missing: the event was removed"))
    if last_id != checked or last_hash != prev_hash:
        return VerifyResult(
            checked, ChainProblem(max(checked, 1), "does not match the chain head (altered)")
        )
    return VerifyResult(checked, None)


def _events(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditEvent)
            .where(AuditEvent.id > after)
            .order_by(col(AuditEvent.id))
            .limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id
        session.expunge_all()
