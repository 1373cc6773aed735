"""Reconciliation: a station-day's plan against what its agent says aired.

Pure: the plan (the items in force, playlists/timelines/record.py), the as-run records, the
station's health and `now` in; one outcome per planned item and the records no plan holds
out. Nothing here reads a clock or a database.

Each planned item is, by its records (several when an agent was killed and rejoined it):
  played     a record played it whole, starting within `late_after` of its time;
  late       played whole, but started later than that;
  partial    aired in part: joined late, interrupted (killed, power cut), or cut short;
  preempted  an emergency or priority broadcast took the air (by which, when known);
  failed     the agent tried and could not play it (a relay that would not open);
  skipped    the agent did not have the file complete and verified;
  missing    no record: the station was offline then, or its records have not all come in
             ("data incomplete since T": the agent still holds them), or nothing at all;
  upcoming   its time has not come (or it is still playing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from stations.fleet.presence import Spell, online_at
from stations.protocol import REPLAY_SUFFIX

LATE_AFTER = timedelta(seconds=2)


class Outcome(StrEnum):
    played = "played"
    late = "late"
    partial = "partial"
    preempted = "preempted"
    failed = "failed"
    skipped = "skipped"
    missing = "missing"
    upcoming = "upcoming"


class Missing(StrEnum):
    """Why a due item has no record."""

    offline = "offline"  # the station was offline at the item's time
    data_incomplete = "data_incomplete"  # the station still holds records from before then
    no_record = "no_record"  # online, data complete, and still nothing


@dataclass(frozen=True, slots=True)
class Planned:
    id: str
    start: datetime
    duration_s: float
    tier: str
    title: str
    content_id: int | None


@dataclass(frozen=True, slots=True)
class Aired:
    """One as-run record, as reconciliation reads it."""

    id: str
    item_id: str | None
    planned_start: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    result: str  # played, partial, failed, preempted, skipped
    error: str | None
    title: str | None
    kind: str | None  # the snapshot's: content, alert, unknown

    @property
    def aired_s(self) -> float:
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True)
class Health:
    spells: Sequence[Spell]  # online spells overlapping the day
    offline_after: timedelta
    # The station still holds records from this moment on (None: it holds none). A station
    # offline now holds whatever it played since it was last seen.
    incomplete_since: datetime | None


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    item: Planned
    outcome: Outcome
    records: tuple[Aired, ...]
    aired_s: float
    start_delay_s: float | None  # the first record's start after the planned one
    reason: str | None  # the agent's words (interrupted, joined part-way, ...), or Missing
    preempted_by: tuple[Aired, ...]  # the unplanned broadcasts that overlapped it


@dataclass(frozen=True, slots=True)
class DayReconciliation:
    items: tuple[ItemOutcome, ...]
    unplanned: tuple[Aired, ...]  # alerts, "broadcast now", live, or unknown records


_ORDER = ("played", "preempted", "partial", "failed", "skipped")


def reconcile(
    plan: Sequence[Planned],
    records: Sequence[Aired],
    health: Health,
    *,
    now: datetime,
    late_after: timedelta = LATE_AFTER,
) -> DayReconciliation:
    planned_ids = {p.id for p in plan}
    by_item: dict[str, list[Aired]] = {}
    unplanned: list[Aired] = []
    for record in sorted(records, key=_record_key):
        # A bulletin played again whole after a cut counts towards its item.
        item_id = record.item_id.removesuffix(REPLAY_SUFFIX) if record.item_id else None
        if item_id is not None and item_id in planned_ids:
            by_item.setdefault(item_id, []).append(record)
        else:
            unplanned.append(record)
    outcomes = tuple(
        _outcome(item, tuple(by_item.get(item.id, ())), unplanned, health, now, late_after)
        for item in sorted(plan, key=lambda p: (p.start, p.id))
    )
    return DayReconciliation(outcomes, tuple(unplanned))


def _record_key(record: Aired) -> tuple[datetime, str]:
    moment = record.started_at or record.planned_start
    assert moment is not None  # the protocol requires one of them
    return moment, record.id


def _outcome(
    item: Planned,
    records: tuple[Aired, ...],
    unplanned: Sequence[Aired],
    health: Health,
    now: datetime,
    late_after: timedelta,
) -> ItemOutcome:
    end = item.start + timedelta(seconds=item.duration_s)
    overlapping = tuple(u for u in unplanned if _overlaps(u, item.start, end))
    if not records:
        if end > now:
            return ItemOutcome(item, Outcome.upcoming, (), 0.0, None, None, ())
        why = _why_missing(item, health)
        return ItemOutcome(item, Outcome.missing, (), 0.0, None, why.value, overlapping)
    aired = sum(r.aired_s for r in records)
    started = [r.started_at for r in records if r.started_at is not None]
    delay = (min(started) - item.start).total_seconds() if started else None
    best = min(records, key=lambda r: _ORDER.index(r.result) if r.result in _ORDER else 99)
    reason = next((r.error for r in records if r.error), None)
    if best.result == "played":
        is_late = delay is not None and delay > late_after.total_seconds()
        outcome = Outcome.late if is_late else Outcome.played
        return ItemOutcome(item, outcome, records, aired, delay, reason, ())
    preempted = any(r.result == "preempted" for r in records)
    if preempted:
        return ItemOutcome(item, Outcome.preempted, records, aired, delay, reason, overlapping)
    return ItemOutcome(item, Outcome(best.result), records, aired, delay, reason, overlapping)


def _overlaps(record: Aired, start: datetime, end: datetime) -> bool:
    if record.started_at is None:
        return False
    record_end = record.ended_at or record.started_at
    return record.started_at < end and record_end > start


def _why_missing(item: Planned, health: Health) -> Missing:
    end = item.start + timedelta(seconds=item.duration_s)
    if health.incomplete_since is not None and health.incomplete_since < end:
        return Missing.data_incomplete
    if not online_at(health.spells, item.start, health.offline_after):
        return Missing.offline
    return Missing.no_record
