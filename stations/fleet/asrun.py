"""The as-run log (nhật ký phát sóng): stored once per record id, whatever the retries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.auth.permissions import in_scope
from core.paging import Page, paginate
from stations.fleet.auth import StationIdentity
from stations.fleet.models import AsRun
from stations.fleet.snapshot import snapshots
from stations.protocol import AsRunRecord


def store_records(
    *, session: Session, station: StationIdentity, records: Sequence[AsRunRecord], now: datetime
) -> tuple[int, int]:
    """Store the records not stored yet; returns (accepted, duplicates)."""
    unique = {str(r.id): r for r in reversed(records)}  # the first of repeated ids wins
    stored = set(session.exec(select(AsRun.id).where(col(AsRun.id).in_(list(unique)))).all())
    new = [r for i, r in unique.items() if i not in stored]
    kept = snapshots(session=session, records=new, station_area_id=station.area_id)
    rows = [_row(r, station, now) | snapshot for r, snapshot in zip(new, kept, strict=True)]
    if rows:
        # A concurrent upload of the same records may have got in first: let it. One
        # statement, compiled once and cached, for every batch (its rows as parameters):
        # a statement with the rows in it is compiled again each time, 36 columns a row.
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        table = AsRun.__table__  # type: ignore[attr-defined]
        statement = dialect.insert(table).on_conflict_do_nothing(index_elements=["id"])
        session.execute(statement, rows)
    return len(rows), len(records) - len(rows)


def _row(record: AsRunRecord, station: StationIdentity, now: datetime) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "station_id": station.station_id,
        "area_id": station.area_id,
        "item_id": record.item_id,
        "content_id": record.content_id,
        "sha256": record.sha256,
        "planned_start": record.planned_start,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "occurred_at": record.occurred_at(),
        "result": record.result,
        "error": record.error,
        "clock_offset_ms": record.clock_offset_ms,
        "received_at": now,
    }


def list_records(
    *,
    session: Session,
    prefixes: Sequence[str],
    page: Page,
    station_id: int | None = None,
    area_path: str | None = None,
    content_id: int | None = None,
    result: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AsRun], int]:
    query = within_areas(select(AsRun), area_id=col(AsRun.area_id), prefixes=prefixes)
    if area_path is not None:
        query = query.where(in_scope(col(Area.path), [area_path]))
    if station_id is not None:
        query = query.where(AsRun.station_id == station_id)
    if content_id is not None:
        query = query.where(AsRun.content_id == content_id)
    if result is not None:
        query = query.where(AsRun.result == result)
    if since is not None:
        query = query.where(col(AsRun.occurred_at) >= since)
    if until is not None:
        query = query.where(col(AsRun.occurred_at) < until)
    return paginate(session, query, page, col(AsRun.occurred_at).desc(), col(AsRun.id).desc())
