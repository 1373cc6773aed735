"""The audit chain: appends link up; an altered or removed event is named by verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from sqlmodel import col, select

from core.audit.chain import Actor, Affects, Subject, event_hash, record, verify
from core.audit.models import GENESIS_HASH, AuditEvent
from core.db import Database

ACTOR = Actor(id=None, name="tester")


def _append(database: Database, n: int) -> None:
    with database.session(write=True) as session:
        for i in range(n):
            record(
                session=session,
                actor=ACTOR,
                action="thing.update",
                subject=Subject("thing", i, None),
                before={"n": i},
                after={"n": i + 1},
                now=datetime(2026, 11, 28, 5, 30, i, tzinfo=UTC),
            )
        session.commit()


def _verify(database: Database):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return verify(session=session)


def test_empty_chain_is_intact(database: Database) -> None:
    result = _verify(database)
    assert result.ok and result.checked == 0


def test_events_link_to_their_predecessor(database: Database) -> None:
    _append(database, 4)
    with database.session() as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [e.id for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    result = _verify(database)
    assert result.ok and result.checked == 4


def test_rolled_back_change_leaves_no_event(database: Database) -> None:
    _append(database, 2)
    with database.session(write=True) as session:
        record(
            session=session,
            actor=ACTOR,
            action="x",
            subject=Subject("thing", 9, None),
            before=None,
            after=None,
            now=datetime.now(UTC),
        )
        session.rollback()
    _append(database, 1)
    result = _verify(database)
    assert result.ok and result.checked == 3


def _sql(database: Database, statement: str) -> None:
    with database.engine.begin() as connection:
        connection.exec_driver_sql(statement)


@pytest.mark.parametrize(
    ("tamper", "named", "word"),
    [
        ("UPDATE audit_event SET after_json = '{\"n\":99}' WHERE id = 3", 3, "altered"),
        ("UPDATE audit_event SET actor_name = 'someone else' WHERE id = 1", 1, "altered"),
        ("DELETE FROM audit_event WHERE id = 2", 2, "removed"),
        ("DELETE FROM audit_event WHERE id = 5", 5, "removed"),
        ("UPDATE audit_event SET prev_hash = hash WHERE id = 4", 4, "altered"),
    ],
    ids=["content", "actor", "middle-removed", "last-removed", "link"],
)
def test_verify_names_the_tampered_event(
    database: Database, tamper: str, named: int, word: str
) -> None:
    _append(database, 5)
    _sql(database, tamper)
    result = _verify(database)
    assert not result.ok
    assert result.problem is not None
    assert result.problem.event_id == named
    assert word in str(result.problem)


def test_verify_names_an_event_rewritten_and_rehashed(database: Database) -> None:

    _append(database, 4)
    with database.session(write=True) as session:
        event = session.get(AuditEvent, 2)
        assert event is not None
        event.after_json = '{"n":1000}'
        event.hash = event_hash(event)
        session.add(event)
        session.commit()
    result = _verify(database)
    assert result.problem is not None and result.problem.event_id == 2


def test_events_recorded_with_a_local_time_verify(database: Database) -> None:
    hanoi = timezone(timedelta(hours=7))
    with database.session(write=True) as session:
        record(
            session=session,
            actor=ACTOR,
            action="t",
            subject=Subject("t", 1, None),
            before=None,
            after=None,
            now=datetime(2026, 11, 28, 12, 0, tzinfo=hanoi),
        )
        session.commit()
    assert _verify(database).ok


def test_what_a_change_affects_is_kept_and_covered_by_the_hash(database: Database) -> None:
    affects = Affects.of(areas=[3], stations=[7, 8], lineages=[None, 5])
    with database.session(write=True) as session:
        record(
            session=session,
            actor=ACTOR,
            action="thing.update",
            subject=Subject("thing", 1, None),
            now=datetime(2026, 12, 1, 5, 30, tzinfo=UTC),
            affects=affects,
        )
        session.commit()
    with database.session(write=True) as session:
        event = session.get(AuditEvent, 1)
        assert event is not None and event.affects_json is not None
        assert Affects.from_json(event.affects_json) == affects
        event.affects_json = Affects.of(areas=[1]).to_json()  # widened after the fact
        session.add(event)
        session.commit()
    result = _verify(database)
    assert result.problem is not None and result.problem.event_id == 1


def test_events_without_affects_hash_as_before_the_change_feed() -> None:
    """Chains written before affects_json existed still verify: the hash leaves it out."""
    event = AuditEvent(
        id=1,
        occurred_at=datetime(2026, 11, 28, 5, 30, tzinfo=UTC),
        actor_id=None,
        actor_name="tester",
        action="thing.update",
        object_type="thing",
        object_id="1",
        area_id=None,
        area_path=None,
        before_json="null",
        after_json="null",
        prev_hash=GENESIS_HASH,
        hash="",
    )
    # The hash of this event as the chain computed it before the change feed existed.
    assert event_hash(event) == "c436309240b99ee93e1f0b84625cb82aacb421977df1b72fde101bc9c0a1d6bb"
