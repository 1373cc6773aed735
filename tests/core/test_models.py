"""The shared field types: a moment is ISO 8601 with its offset, a day is YYYY-MM-DD."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from core.models import IsoDate, IsoDateTime
from tests.core.times import NONSENSE, ONE_MOMENT

MOMENT = TypeAdapter(IsoDateTime)
DAY = TypeAdapter(IsoDate)


@pytest.mark.parametrize(
    "value",
    [*NONSENSE, -1, 1700000000, 1.5, "", " 2026-11-29T05:30:00+07:00", "2026-11-29T05:30+7"],
)
def test_a_moment_is_iso_8601_with_an_offset_only(value: object) -> None:
    with pytest.raises(ValidationError, match="ISO 8601"):
        MOMENT.validate_python(value)


@pytest.mark.parametrize("value", ONE_MOMENT)
def test_a_moment_with_an_offset_or_z_is_taken(value: str) -> None:
    assert MOMENT.validate_python(value) == datetime(2026, 11, 28, 22, 30, tzinfo=UTC)


def test_a_moment_keeps_its_offset_and_fractions() -> None:
    parsed = MOMENT.validate_python("2026-11-29T05:30:00.250+07:00")
    assert parsed.utcoffset() == timedelta(hours=7)
    assert parsed.microsecond == 250_000
    assert MOMENT.validate_python("2026-11-29T05:30+0700").tzinfo == timezone(timedelta(hours=7))


def test_an_impossible_moment_is_refused() -> None:
    with pytest.raises(ValidationError):
        MOMENT.validate_python("2026-02-30T05:30:00+07:00")


@pytest.mark.parametrize("value", ["1796083200", "0", "2026-12-01T00:00:00", "20261201", 0])
def test_a_day_is_yyyy_mm_dd_only(value: object) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        DAY.validate_python(value)


def test_a_day_is_taken() -> None:
    assert DAY.validate_python("2026-12-01") == date(2026, 12, 1)


def test_the_schema_still_says_date_time(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    formats = {
        (path, p["name"]): {s.get("format") for s in p["schema"].get("anyOf", [p["schema"]])}
        for path, operations in paths.items()
        for p in operations.get("get", {}).get("parameters", [])
        if p["name"] in {"since", "until", "from", "to", "date"}
    }
    assert formats == {
        ("/api/v1/audit", "since"): {"date-time", None},
        ("/api/v1/audit", "until"): {"date-time", None},
        ("/api/v1/asrun", "from"): {"date-time", None},
        ("/api/v1/asrun", "to"): {"date-time", None},
        ("/api/v1/stations/{station_id}/playlist", "date"): {"date", None},
        ("/api/v1/areas/{area_id}/playlist", "date"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup", "date"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup", "from"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup", "to"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup/export", "date"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup/export", "from"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/rollup/export", "to"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/periodic", "date"): {"date", None},
        ("/api/v1/reports/areas/{area_id}/periodic/export", "date"): {"date", None},
        ("/api/v1/reports/stations/{station_id}/logbook", "date"): {"date", None},
        ("/api/v1/reports/stations/{station_id}/logbook/export", "date"): {"date", None},
        ("/api/v1/reports/proof-of-play", "from"): {"date", None},
        ("/api/v1/reports/proof-of-play", "to"): {"date", None},
        ("/api/v1/reports/proof-of-play/export", "from"): {"date", None},
        ("/api/v1/reports/proof-of-play/export", "to"): {"date", None},
        ("/api/v1/reports/alerts", "from"): {"date-time", None},
        ("/api/v1/reports/alerts", "to"): {"date-time", None},
        ("/api/v1/reports/alerts/export", "from"): {"date-time", None},
        ("/api/v1/reports/alerts/export", "to"): {"date-time", None},
    }
