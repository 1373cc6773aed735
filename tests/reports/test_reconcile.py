"""Reconciliation, the pure function: examples of each outcome, then properties over
generated days."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reports.reconcile import (
    Aired,
    Health,
    Missing,
    Outcome,
    Planned,
    reconcile,
)
from stations.fleet.presence import Spell

_IDS = itertools.count()
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
OFFLINE_AFTER = timedelta(seconds=180)
ALWAYS_ONLINE = Health((Spell(T0, T0 + timedelta(days=1)),), OFFLINE_AFTER, None)
END_OF_DAY = T0 + timedelta(days=1)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _planned(n: int, start_s: float, duration_s: float = 60.0) -> Planned:
    return Planned(f"{n}@{start_s}", _at(start_s), duration_s, "normal", f"#{n}", n)


def _aired(
    item: Planned | None,
    result: str,
    start_s: float | None,
    end_s: float | None,
    *,
    error: str | None = None,
    item_id: str | None = None,
    kind: str = "content",
) -> Aired:
    return Aired(
        id=f"r{next(_IDS)}",
        item_id=item.id if item is not None else item_id,
        planned_start=item.start if item is not None else None,
        started_at=_at(start_s) if start_s is not None else None,
        ended_at=_at(end_s) if end_s is not None else None,
        result=result,
        error=error,
        title=None,
        kind=kind,
    )


def test_each_outcome_from_its_records() -> None:
    on_time, late, killed, cut, failed, skipped, offline, pending, later = (
        _planned(n, n * 1000.0) for n in range(1, 10)
    )
    alert = _aired(None, "played", 4010, 4050, item_id="alert:x#1", kind="alert")
    records = [
        _aired(on_time, "played", 1000.5, 1060.5),
        _aired(late, "played", 2003, 2063),  # 3 s late: over the 2 s threshold
        _aired(killed, "partial", 3000, 3002.5, error="interrupted"),
        _aired(killed, "partial", 3010, 3060, error="joined part-way"),
        _aired(cut, "preempted", 4000, 4010),
        alert,
        _aired(failed, "failed", 5000, 5000),
        _aired(skipped, "skipped", None, None),
    ]
    health = Health(
        spells=(Spell(T0, _at(6500)), Spell(_at(7500), _at(8500))),  # offline 6500-7500
        offline_after=OFFLINE_AFTER,
        incomplete_since=_at(7900),  # records from 7900 on are still on the Pi
    )
    result = reconcile(
        [on_time, late, killed, cut, failed, skipped, offline, pending, later],
        records,
        health,
        now=_at(8500),
    )
    got = {o.item.id: (o.outcome, o.reason) for o in result.items}
    assert got == {
        on_time.id: (Outcome.played, None),
        late.id: (Outcome.late, None),
        killed.id: (Outcome.partial, "interrupted"),
        cut.id: (Outcome.preempted, None),
        failed.id: (Outcome.failed, None),
        skipped.id: (Outcome.skipped, None),
        offline.id: (Outcome.missing, Missing.offline.value),
        pending.id: (Outcome.missing, Missing.data_incomplete.value),
        later.id: (Outcome.upcoming, None),
    }
    by_id = {o.item.id: o for o in result.items}
    assert by_id[killed.id].aired_s == 52.5
    assert by_id[cut.id].preempted_by == (alert,)
    assert by_id[late.id].start_delay_s == 3.0
    assert result.unplanned == (alert,)


def test_an_online_station_with_all_its_records_in_and_none_for_an_item_missed_it() -> None:
    item = _planned(1, 100)
    (outcome,) = reconcile([item], [], ALWAYS_ONLINE, now=END_OF_DAY).items
    assert (outcome.outcome, outcome.reason) == (Outcome.missing, Missing.no_record.value)


# Generated days: items on a grid, records for some of them (or for nothing planned).
RESULTS = ("played", "partial", "failed", "preempted", "skipped")


@st.composite
def days(draw: st.DrawFn) -> tuple[list[Planned], list[Aired], datetime]:
    count = draw(st.integers(0, 12))
    plan = [
        _planned(n, n * 300.0, draw(st.sampled_from([30.0, 90.0, 200.0]))) for n in range(count)
    ]
    records: list[Aired] = []
    for item in plan:
        for _ in range(draw(st.integers(0, 2))):
            result = draw(st.sampled_from(RESULTS))
            delay = draw(st.floats(0, 10))
            start = (item.start - T0).total_seconds() + delay
            length = draw(st.floats(0, item.duration_s))
            timed = result != "skipped"
            records.append(
                _aired(item, result, start if timed else None, start + length if timed else None)
            )
    for n in range(draw(st.integers(0, 3))):
        start = draw(st.floats(0, 4000))
        records.append(
            _aired(None, "played", start, start + 20, item_id=f"alert:{n}#1", kind="alert")
        )
    now = _at(draw(st.floats(0, 5000)))
    return plan, records, now


@given(days(), st.randoms())
def test_every_item_has_one_outcome_and_every_record_one_place(
    day: tuple[list[Planned], list[Aired], datetime], shuffle: random.Random
) -> None:
    plan, records, now = day
    result = reconcile(plan, records, ALWAYS_ONLINE, now=now)
    assert [o.item for o in result.items] == sorted(plan, key=lambda p: (p.start, p.id))
    placed = [r.id for o in result.items for r in o.records] + [r.id for r in result.unplanned]
    assert sorted(placed) == sorted(r.id for r in records)
    shuffled = list(records)
    shuffle.shuffle(shuffled)
    assert reconcile(plan, shuffled, ALWAYS_ONLINE, now=now) == result


@given(days())
def test_outcomes_agree_with_their_records(
    day: tuple[list[Planned], list[Aired], datetime],
) -> None:
    plan, records, now = day
    for o in reconcile(plan, records, ALWAYS_ONLINE, now=now).items:
        results = {r.result for r in o.records}
        assert o.aired_s == sum(r.aired_s for r in o.records)
        assert 0 <= o.aired_s <= 2 * o.item.duration_s
        if o.outcome is Outcome.played:
            assert "played" in results and o.start_delay_s is not None and o.start_delay_s <= 2
        elif o.outcome is Outcome.late:
            assert "played" in results and o.start_delay_s is not None and o.start_delay_s > 2
        elif o.outcome in (Outcome.missing, Outcome.upcoming):
            assert not o.records
            item_end = o.item.start + timedelta(seconds=o.item.duration_s)
            assert (item_end > now) == (o.outcome is Outcome.upcoming)
        else:
            assert "played" not in results and o.outcome.value in results


@given(days())
def test_a_record_played_on_time_makes_a_missing_item_played(
    day: tuple[list[Planned], list[Aired], datetime],
) -> None:
    plan, records, _now = day
    before = reconcile(plan, records, ALWAYS_ONLINE, now=END_OF_DAY)
    for o in before.items:
        if o.outcome is Outcome.missing:
            start = (o.item.start - T0).total_seconds()
            extra = _aired(o.item, "played", start, start + o.item.duration_s)
            after = reconcile(plan, [*records, extra], ALWAYS_ONLINE, now=END_OF_DAY)
            (again,) = [a for a in after.items if a.item.id == o.item.id]
            assert again.outcome is Outcome.played


def test_a_cut_bulletin_replayed_whole_later_counts_as_played() -> None:
    item = _planned(1, 0)
    cut = _aired(item, "preempted", 0, 10)
    again = _aired(None, "played", 300, 360, item_id=f"{item.id}:replay")
    [outcome] = reconcile([item], [cut, again], ALWAYS_ONLINE, now=END_OF_DAY).items
    assert outcome.outcome == Outcome.played and outcome.aired_s == 70.0
    assert {r.id for r in outcome.records} == {cut.id, again.id}
