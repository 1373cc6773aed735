"""Following the demo as it runs: as-run records as they arrive, and when every station
has reported every item of the session."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

GOOD_RESULTS = frozenset({"played", "partial"})


@dataclass(frozen=True, kw_only=True)
class Record:
    id: str
    station_id: int
    content_id: int | None
    result: str
    planned_start: datetime | None
    started_at: datetime | None
    error: str | None


def parse_record(raw: Mapping[str, Any]) -> Record:
    def moment(key: str) -> datetime | None:
        value = raw.get(key)
        return datetime.fromisoformat(value) if value else None

    return Record(
        id=str(raw["id"]),
        station_id=int(raw["station_id"]),
        content_id=raw.get("content_id"),
        result=str(raw["result"]),
        planned_start=moment("planned_start"),
        started_at=moment("started_at"),
        error=raw.get("error"),
    )


class AsRunLog:
    """The records seen so far, each once, and what the demo still waits for."""

    def __init__(self, *, expected: Mapping[int, frozenset[int]]) -> None:
        self._expected = expected
        self._records: dict[str, Record] = {}

    def add(self, records: Iterable[Record]) -> list[Record]:
        """Remember `records`; the new ones, oldest first."""
        new = [r for r in records if r.id not in self._records]
        self._records.update((r.id, r) for r in new)
        return sorted(new, key=lambda r: (r.started_at or r.planned_start or datetime.min, r.id))

    def missing(self) -> dict[int, frozenset[int]]:
        """Per station, the items with no record yet."""
        return {
            station: frozenset(items - self._reported(station))
            for station, items in self._expected.items()
            if items - self._reported(station)
        }

    def complete(self) -> bool:
        return not self.missing()

    def failures(self) -> list[Record]:
        """Expected items whose records are all bad (failed, skipped, pre-empted)."""
        bad = []
        for station, items in self._expected.items():
            for item in items:
                mine = [r for r in self._mine(station) if r.content_id == item]
                if mine and not any(r.result in GOOD_RESULTS for r in mine):
                    bad.append(mine[0])
        return bad

    def counts(self) -> dict[int, dict[str, int]]:
        """Per station, records by result."""
        counts: dict[int, dict[str, int]] = {station: {} for station in self._expected}
        for record in self._records.values():
            by_result = counts.setdefault(record.station_id, {})
            by_result[record.result] = by_result.get(record.result, 0) + 1
        return counts

    def _mine(self, station: int) -> list[Record]:
        return [r for r in self._records.values() if r.station_id == station]

    def _reported(self, station: int) -> frozenset[int]:
        return frozenset(r.content_id for r in self._mine(station) if r.content_id is not None)


def describe_record(
    record: Record, *, stations: Mapping[int, str], titles: Mapping[int, str], timezone: str
) -> str:
    """One line per record: station, title, result, planned vs actual start (local time)."""
    zone = ZoneInfo(timezone)
    station = stations.get(record.station_id, f"station #{record.station_id}")
    title = titles.get(record.content_id or 0, f"content #{record.content_id}")
    line = f"{station}: {title} — {record.result}"
    if record.planned_start is not None:
        line += f", planned {record.planned_start.astimezone(zone):%H:%M:%S}"
    if record.started_at is not None:
        started = record.started_at.astimezone(zone)
        line += f", started {started:%H:%M:%S}.{started.microsecond // 1000:03d}"
        if record.planned_start is not None:
            late_ms = (record.started_at - record.planned_start).total_seconds() * 1000
            line += f" ({late_ms:+.0f} ms)"
    if record.error:
        line += f" [{record.error}]"
    return line


def describe_counts(counts: Mapping[str, int]) -> str:
    if not counts:
        return "no records"
    total = sum(counts.values())
    parts = ", ".join(f"{n} {result}" for result, n in sorted(counts.items()))
    return f"{total} record{'s' if total != 1 else ''} ({parts})"
