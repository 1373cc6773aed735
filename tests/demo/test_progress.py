from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from demo.progress import AsRunLog, describe_counts, describe_record, parse_record

PLANNED = datetime(2026, 11, 29, 4, 59, 20, tzinfo=UTC)


def raw(
    record_id: str, station: int, content: int, result: str = "played", late_ms: int = 4
) -> dict[str, Any]:
    return {
        "id": record_id,
        "station_id": station,
        "area_id": 3,
        "content_id": content,
        "result": result,
        "planned_start": PLANNED.isoformat(),
        "started_at": (PLANNED + timedelta(milliseconds=late_ms)).isoformat(),
        "ended_at": None,
        "error": None,
    }


def log_of(*records: dict[str, Any]) -> AsRunLog:
    log = AsRunLog(expected={1: frozenset({10, 11}), 2: frozenset({10, 11})})
    log.add(parse_record(r) for r in records)
    return log


def test_complete_once_every_station_reported_every_item() -> None:
    log = log_of(raw("a", 1, 10), raw("b", 1, 11), raw("c", 2, 10))
    assert not log.complete()
    assert log.missing() == {2: frozenset({11})}
    log.add([parse_record(raw("d", 2, 11, "partial"))])
    assert log.complete()
    assert log.failures() == []


def test_each_record_is_new_once() -> None:
    log = log_of(raw("a", 1, 10))
    assert log.add([parse_record(raw("a", 1, 10)), parse_record(raw("b", 1, 11))]) == [
        parse_record(raw("b", 1, 11))
    ]
    assert log.counts() == {1: {"played": 2}, 2: {}}


def test_an_item_that_only_failed_is_a_failure_one_that_played_later_is_not() -> None:
    log = log_of(
        raw("a", 1, 10, "failed"),
        raw("b", 1, 11, "failed"),
        raw("c", 1, 11, "played"),
        raw("d", 2, 10),
        raw("e", 2, 11),
    )
    assert log.complete()
    assert [r.id for r in log.failures()] == ["a"]


def test_a_record_reads_as_station_title_result_and_times_in_local_time() -> None:
    line = describe_record(
        parse_record(raw("a", 1, 10, late_ms=12)),
        stations={1: "Cụm loa thôn Đông"},
        titles={10: "Thông báo lịch tiêm phòng"},
        timezone="Asia/Ho_Chi_Minh",
    )
    assert line == (
        "Cụm loa thôn Đông: Thông báo lịch tiêm phòng — played, planned 11:59:20, "
        "started 11:59:20.012 (+12 ms)"
    )


def test_an_unknown_station_or_item_is_named_by_its_id() -> None:
    record = parse_record({**raw("a", 7, 99, "failed"), "started_at": None, "error": "no file"})
    line = describe_record(record, stations={}, titles={}, timezone="Asia/Ho_Chi_Minh")
    assert line == "station #7: content #99 — failed, planned 11:59:20 [no file]"


def test_counts_read_in_words() -> None:
    assert describe_counts({}) == "no records"
    assert describe_counts({"played": 2, "partial": 1}) == "3 records (1 partial, 2 played)"
    assert describe_counts({"played": 1}) == "1 record (1 played)"
