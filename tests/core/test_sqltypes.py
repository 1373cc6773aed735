"""Datetimes come back aware UTC on every backend; naive ones are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from core.areas.models import Area
from core.db import Database


def test_aware_utc_round_trip(database: Database) -> None:
    hanoi = timezone(timedelta(hours=7))
    created = datetime(2026, 11, 28, 5, 30, 15, 123456, tzinfo=hanoi)
    with database.session(write=True) as session:
        area = Area(name="X", level="country", timezone="Asia/Ho_Chi_Minh", created_at=created)
        session.add(area)
        session.commit()
        area_id = area.id
    with database.session() as session:
        loaded = session.get(Area, area_id)
        assert loaded is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at == created
        assert loaded.created_at == datetime(2026, 11, 27, 22, 30, 15, 123456, tzinfo=UTC)


def test_naive_datetime_is_refused(database: Database) -> None:
    with database.session(write=True) as session:
        session.add(
            Area(name="X", level="country", timezone="UTC", created_at=datetime(2026, 1, 1))
        )
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()
