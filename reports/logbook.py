"""The weekly broadcast log book (sổ nhật ký phát sóng) of a station, as inspectors check
it: each day's planned items with what became of them and whatever else aired, in time
order, with who made and who approved each bulletin."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from core.areas.models import Area
from reports.models import (
    AiredPublic,
    ItemOutcomePublic,
    LogBookPublic,
    LogDayPublic,
    LogEntryPublic,
    StationDayPublic,
)
from reports.periods import Period, days_in, period_bounds
from reports.station_day import station_day
from stations.models import Station


def station_week(
    *,
    session: Session,
    station: Station,
    area: Area,
    anchor: date,
    now: datetime,
    offline_after: timedelta,
    late_after: timedelta,
) -> LogBookPublic:
    first, last = period_bounds(Period.week, anchor)
    assert station.id is not None
    days = [
        _day(
            station_day(
                session=session,
                station_id=station.id,
                day=day,
                timezone=area.timezone,
                now=now,
                offline_after=offline_after,
                late_after=late_after,
            )
        )
        for day in days_in(first, last)
    ]
    return LogBookPublic(
        station_id=station.id,
        station_name=station.name,
        station_code=station.code,
        area_name=area.name,
        area_code=area.code,
        timezone=area.timezone,
        first=first,
        last=last,
        days=days,
    )


def _day(report: StationDayPublic) -> LogDayPublic:
    entries = [_planned(i) for i in report.items] + [_unplanned(r) for r in report.unplanned]
    return LogDayPublic(
        date=report.date,
        entries=sorted(entries, key=lambda e: (e.at, e.title)),
        summary=report.summary,
    )


def _planned(item: ItemOutcomePublic) -> LogEntryPublic:
    first = item.records[0] if item.records else None
    return LogEntryPublic(
        at=(first.started_at if first and first.started_at else item.start),
        planned_start=item.start,
        started_at=first.started_at if first else None,
        ended_at=item.records[-1].ended_at if item.records else None,
        title=first.title if first and first.title else item.title,
        tier=first.tier if first and first.tier else item.tier,
        category=first.category if first else None,
        planned_s=item.duration_s,
        aired_s=item.aired_s,
        outcome=item.outcome,
        reason=item.reason,
        created_by=first.created_by if first else None,
        approved_by=first.approved_by if first else None,
        owner_area=first.owner_area if first else None,
    )


def _unplanned(record: AiredPublic) -> LogEntryPublic:
    moment = record.started_at or record.planned_start
    assert moment is not None  # the protocol requires one of them
    aired = (
        (record.ended_at - record.started_at).total_seconds()
        if record.started_at and record.ended_at
        else 0.0
    )
    return LogEntryPublic(
        at=moment,
        planned_start=record.planned_start,
        started_at=record.started_at,
        ended_at=record.ended_at,
        title=record.title or record.item_id or "",
        tier=record.tier,
        category=record.category,
        planned_s=None,
        aired_s=round(aired, 3),
        outcome="unplanned",
        reason=record.error,
        created_by=record.created_by,
        approved_by=record.approved_by,
        owner_area=record.owner_area,
    )
