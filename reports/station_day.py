"""A station's day, planned against aired: the plan of record, the as-run log and the
station's health read from the database, then reconciled (reports/reconcile.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.db import chunks
from playlists.timelines.record import effective_items, plan_versions
from reports.models import (
    AiredPublic,
    ItemOutcomePublic,
    StationDayPublic,
    StationDaySummary,
)
from reports.reconcile import Aired, Health, ItemOutcome, Outcome, Planned, reconcile
from stations.fleet.models import AsRun, StationAgent
from stations.fleet.presence import online_seconds, spells_between
from stations.protocol import REPLAY_SUFFIX

# Outcomes of items whose time has come: the rate counts played and late of these.
_DUE = frozenset(Outcome) - {Outcome.upcoming}


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def station_day(
    *,
    session: Session,
    station_id: int,
    day: date,
    timezone: str,
    now: datetime,
    offline_after: timedelta,
    late_after: timedelta,
) -> StationDayPublic:
    start, end = day_bounds(day, timezone)
    versions = plan_versions(session=session, station_id=station_id, day=day)
    planned = [
        Planned(i.id, i.start, i.duration_s, i.tier, i.title, i.content_id)
        for i in effective_items(versions)
    ]
    records = _records(session, station_id, start, end, {p.id for p in planned})
    rows = list(records.values())
    health = _health(session, station_id, start, end, now, offline_after)
    result = reconcile(planned, [_aired(r) for r in rows], health, now=now, late_after=late_after)
    counts = Counter(o.outcome for o in result.items)
    due = [o for o in result.items if o.outcome in _DUE]
    in_full = counts[Outcome.played] + counts[Outcome.late]
    return StationDayPublic(
        station_id=station_id,
        date=day,
        timezone=timezone,
        plan=[v.public() for v in versions],
        items=[_item_public(o, records) for o in result.items],
        unplanned=[AiredPublic.of(records[a.id]) for a in result.unplanned],
        summary=StationDaySummary(
            planned=len(result.items),
            due=len(due),
            outcomes={o.value: counts[o] for o in Outcome},
            compliance=round(in_full / len(due), 4) if due else None,
            planned_s=round(sum(o.item.duration_s for o in due), 1),
            aired_s=round(sum(o.aired_s for o in due), 1),
            online_s=round(online_seconds(health.spells, start, min(end, now)), 1),
            elapsed_s=max((min(end, now) - start).total_seconds(), 0.0),
            incomplete_since=health.incomplete_since,
        ),
    )


def _records(
    session: Session, station_id: int, start: datetime, end: datetime, planned: set[str]
) -> dict[str, AsRun]:
    """The day's records: those that happened in it, except what belongs to the day before
    (an item of 23:59 rejoined at 00:01), and those of its planned items wherever they fell
    (started late, past midnight)."""
    in_day = select(AsRun).where(
        AsRun.station_id == station_id,
        col(AsRun.occurred_at) >= start,
        col(AsRun.occurred_at) < end,
    )
    found = {
        r.id: r
        for r in session.exec(in_day)
        if r.planned_start is None or r.planned_start >= start or r.item_id in planned
    }
    replays = {f"{item_id}{REPLAY_SUFFIX}" for item_id in planned}
    for batch in chunks(sorted(planned | replays)):
        of_plan = select(AsRun).where(AsRun.station_id == station_id, col(AsRun.item_id).in_(batch))
        found.update((r.id, r) for r in session.exec(of_plan))
    return found


def _health(
    session: Session,
    station_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    offline_after: timedelta,
) -> Health:
    # A spell that ended just before midnight still covers the first minutes after it.
    spells = spells_between(
        session=session, station_id=station_id, start=start - offline_after, end=end
    )
    agent = session.get(StationAgent, station_id)
    since: datetime | None = None
    if agent is not None:
        if agent.asrun_pending and agent.asrun_pending_since is not None:
            since = agent.asrun_pending_since
        last_seen = agent.last_seen_at
        if last_seen is not None and now - last_seen > offline_after:
            # Offline now: what it played since it was last seen has not come in yet.
            since = min(since, last_seen) if since is not None else last_seen
    return Health(spells, offline_after, since)


def _aired(row: AsRun) -> Aired:
    return Aired(
        id=row.id,
        item_id=row.item_id,
        planned_start=row.planned_start,
        started_at=row.started_at,
        ended_at=row.ended_at,
        result=row.result,
        error=row.error,
        title=row.snapshot_title,
        kind=row.snapshot_kind,
    )


def _item_public(outcome: ItemOutcome, records: dict[str, AsRun]) -> ItemOutcomePublic:
    item, delay = outcome.item, outcome.start_delay_s
    return ItemOutcomePublic(
        id=item.id,
        start=item.start,
        duration_s=item.duration_s,
        tier=item.tier,
        title=item.title,
        content_id=item.content_id,
        outcome=outcome.outcome.value,
        reason=outcome.reason,
        aired_s=round(outcome.aired_s, 3),
        start_delay_s=round(delay, 3) if delay is not None else None,
        records=[AiredPublic.of(records[r.id]) for r in outcome.records],
        preempted_by=[AiredPublic.of(records[r.id]) for r in outcome.preempted_by],
    )
