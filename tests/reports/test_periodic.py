"""The periodic report (báo cáo định kỳ), its generation, and retention that waits for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from core.areas.models import Area
from core.audit.models import AuditEvent
from playlists.timelines.record import StationPlan
from reports.periodic import ReportGeneration, period_title
from reports.periods import Period
from reports.retention import apply_retention
from reports.summaries import StationDaySummaryRow
from tests.clock import SettableClock
from tests.world import World


def test_periods_are_named_as_reports_name_them() -> None:
    assert period_title(Period.month, date(2026, 11, 1)) == "Tháng 11 năm 2026"
    assert period_title(Period.quarter, date(2026, 10, 1)) == "Quý IV năm 2026"
    assert period_title(Period.half, date(2026, 7, 1)) == "6 tháng cuối năm 2026"
    assert period_title(Period.year, date(2026, 1, 1)) == "Năm 2026"


def test_a_preview_records_nothing_and_generating_records_who_and_when(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    headers = world.headers("admin_p", clock.now())
    url = f"/api/v1/reports/areas/{world.areas['P']}/periodic"
    preview = client.get(f"{url}?period=quarter&date=2026-11-15", headers=headers)
    assert preview.status_code == 200, preview.text
    report = preview.json()
    assert report["title"].endswith("Quý IV năm 2026") and report["unit"] == "P"
    assert (report["first"], report["last"]) == ("2026-10-01", "2026-12-31")
    assert report["parent"] == "Việt Nam" and report["last_generated_at"] is None
    assert [s["role"] for s in report["signatures"]] == [
        "Người lập biểu",
        "Người kiểm tra",
        "Thủ trưởng đơn vị",
    ]
    assert {c["name"] for c in report["rollup"]["children"]} == {"A", "B"}
    body = {"period": "quarter", "day": "2026-11-15", "head_of_unit": "Nguyễn Văn A"}
    made = client.post(url, json=body, headers=headers)
    assert made.status_code == 200, made.text
    assert made.json()["signatures"][2]["name"] == "Nguyễn Văn A"
    again = client.get(f"{url}?period=quarter&date=2026-10-02", headers=headers).json()
    assert again["last_generated_by"] == "admin_p" and again["last_generated_at"]
    with world.database.session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "report.generate"))
        assert len(events.all()) == 1
    weekly = client.get(f"{url}?period=week", headers=headers)
    assert weekly.status_code == 422 and "period" in weekly.text


def _old_history(world: World, station: int, day: date) -> None:
    with world.database.session(write=True) as session:
        session.add(
            StationPlan(
                station_id=station,
                area_id=world.areas["A1"],
                day=day,
                version=1,
                digest="0" * 64,
                in_force_from=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
            )
        )
        session.add(
            StationDaySummaryRow(
                station_id=station,
                day=day,
                area_id=world.areas["A1"],
                area_path=_path(world, "A1"),
                timezone="Asia/Ho_Chi_Minh",
                computed_at=datetime.now(UTC),
            )
        )
        session.commit()


def _path(world: World, name: str) -> str:
    with world.database.session() as session:
        area = session.get(Area, world.areas[name])
        assert area is not None
        return area.path


def _days(world: World) -> list[date]:
    with world.database.session() as session:
        return sorted(session.exec(select(StationPlan.day)).all())


def test_retention_waits_for_the_periods_report_then_lets_the_old_days_go(
    world: World,
) -> None:
    today = date(2026, 12, 1)
    old, recent = date(2025, 6, 10), date(2026, 11, 20)
    for day in (old, recent):
        _old_history(world, 1, day)
    with world.database.session(write=True) as session:
        kept = apply_retention(session=session, today=today, retention_days=400)
        session.commit()
    assert kept.before == date(2025, 6, 1) and _days(world) == [old, recent]  # not reported
    with world.database.session(write=True) as session:
        session.add(
            ReportGeneration(
                area_id=world.areas["P"],
                area_path=_path(world, "P"),
                period="year",
                first=date(2025, 1, 1),
                last=date(2025, 12, 31),
                generated_at=datetime.now(UTC),
            )
        )
        session.commit()
        removed = apply_retention(session=session, today=today, retention_days=400)
        session.commit()
    assert removed.before == today - timedelta(days=400) and removed.plans == 1
    assert _days(world) == [recent]
