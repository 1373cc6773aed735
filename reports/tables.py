"""Each report as tables (title, header, rows) in Vietnamese, local time: what the CSV and
XLSX exports write (reports/exports.py). Pure: the report's model in, tables out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reports.alert_models import AlertDeliveryReport, AlertDeliverySummaries
from reports.models import (
    AreaRollupPublic,
    LogBookPublic,
    PeriodicReportPublic,
    ProofOfPlayPublic,
    StationDayPublic,
    TotalsPublic,
)

Cell = str | int | float | None

OUTCOMES = {
    "played": "Đã phát",
    "late": "Phát trễ",
    "partial": "Phát một phần",
    "preempted": "Bị ngắt (ưu tiên/khẩn cấp)",
    "failed": "Lỗi",
    "skipped": "Bỏ qua (thiếu tệp)",
    "missing": "Không phát",
    "upcoming": "Chưa đến giờ",
    "unplanned": "Ngoài lịch",
}
MISSING = {
    "offline": "cụm loa mất kết nối",
    "data_incomplete": "chưa nhận đủ dữ liệu",
    "no_record": "không có bản ghi",
}
TIERS = {"normal": "Thông thường", "priority": "Ưu tiên", "emergency": "Khẩn cấp"}


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def local_moment(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S") if moment else None


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _reason(outcome: str, reason: str | None) -> str | None:
    return MISSING.get(reason or "", reason) if outcome == "missing" else reason


def station_day_tables(report: StationDayPublic) -> list[Table]:
    zone = ZoneInfo(report.timezone)
    items = Table(
        f"Cụm loa #{report.station_id} ngày {_day(report.date)}",
        (
            "Giờ dự kiến",
            "Bản tin",
            "Mức",
            "Thời lượng (giây)",
            "Kết quả",
            "Lý do",
            "Bắt đầu phát",
            "Đã phát (giây)",
            "Trễ (giây)",
            "Người duyệt",
        ),
        [
            (
                local_moment(i.start, zone),
                i.title,
                TIERS.get(i.tier, i.tier),
                i.duration_s,
                OUTCOMES.get(i.outcome, i.outcome),
                _reason(i.outcome, i.reason),
                local_moment(i.records[0].started_at, zone) if i.records else None,
                i.aired_s,
                i.start_delay_s,
                i.records[0].approved_by if i.records else None,
            )
            for i in report.items
        ],
    )
    unplanned = Table(
        "Ngoài lịch",
        ("Bắt đầu", "Kết thúc", "Nội dung", "Loại", "Kết quả"),
        [
            (
                local_moment(r.started_at, zone),
                local_moment(r.ended_at, zone),
                r.title or r.item_id,
                r.kind,
                r.result,
            )
            for r in report.unplanned
        ],
    )
    return [items, unplanned]


def totals_row(name: str | None, code: str | None, totals: TotalsPublic) -> tuple[Cell, ...]:
    return (
        name,
        code,
        totals.stations,
        totals.due,
        totals.played + totals.late,
        totals.late,
        totals.partial + totals.preempted,
        totals.missing,
        totals.planned_minutes,
        totals.aired_minutes,
        round(totals.compliance * 100, 1) if totals.compliance is not None else None,
        round(totals.uptime * 100, 1) if totals.uptime is not None else None,
    )


TOTALS_HEADER = (
    "Đơn vị",
    "Mã",
    "Cụm loa",
    "Bản tin đến giờ",
    "Đã phát đủ",
    "Trong đó trễ",
    "Phát một phần",
    "Không phát",
    "Phút dự kiến",
    "Phút đã phát",
    "Tỷ lệ (%)",
    "Thời gian hoạt động (%)",
)


def rollup_tables(report: AreaRollupPublic) -> list[Table]:
    rows = [
        totals_row(f"Cụm loa trực thuộc {c.name}" if c.own else c.name or c.path, c.code, c.totals)
        for c in report.children
    ]
    rows.append(totals_row(f"Tổng cộng {report.name}", report.code, report.totals))
    by = [
        (dimension, value, count.bulletins, count.minutes)
        for dimension, counts in (
            ("Mức", report.totals.by_tier),
            ("Thể loại", report.totals.by_category),
            ("Ngôn ngữ", report.totals.by_language),
            ("Cấp ban hành", report.totals.by_origin),
            ("Giờ", report.totals.by_hour),
        )
        for value, count in counts.items()
    ]
    daily = [totals_row(_day(d.date), None, d.totals) for d in report.days]
    return [
        Table(f"{report.name} {_day(report.first)}–{_day(report.last)}", TOTALS_HEADER, rows),
        Table("Phân loại", ("Theo", "Giá trị", "Bản tin", "Phút"), by),
        Table("Theo ngày", ("Ngày", *TOTALS_HEADER[1:]), daily),
    ]


def logbook_tables(report: LogBookPublic) -> list[Table]:
    zone = ZoneInfo(report.timezone)
    rows = [
        (
            _day(day.date),
            local_moment(e.at, zone),
            e.title,
            TIERS.get(e.tier or "", e.tier),
            e.category,
            e.planned_s,
            e.aired_s,
            OUTCOMES.get(e.outcome, e.outcome),
            _reason(e.outcome, e.reason),
            e.created_by,
            e.approved_by,
            e.owner_area,
        )
        for day in report.days
        for e in day.entries
    ]
    header = (
        "Ngày",
        "Giờ",
        "Nội dung",
        "Mức",
        "Thể loại",
        "Dự kiến (giây)",
        "Đã phát (giây)",
        "Kết quả",
        "Ghi chú",
        "Người soạn",
        "Người duyệt",
        "Đơn vị ban hành",
    )
    title = f"Sổ nhật ký phát sóng {report.station_name} {_day(report.first)}–{_day(report.last)}"
    return [Table(title, header, rows)]


def proof_tables(report: ProofOfPlayPublic, zone: ZoneInfo) -> list[Table]:
    rows = [
        (
            s.station_id,
            s.name,
            s.planned,
            s.aired,
            local_moment(s.first_aired, zone),
            local_moment(s.last_aired, zone),
            local_moment(s.offline_since, zone),
        )
        for s in report.stations
    ]
    header = (
        "Cụm loa #",
        "Tên",
        "Lần dự kiến",
        "Lần đã phát",
        "Phát đầu tiên",
        "Phát sau cùng",
        "Mất kết nối từ",
    )
    title = f"{report.title or report.lineage_id}: {report.aired_on}/{report.targeted} cụm loa"
    return [Table(title, header, rows)]


def periodic_tables(report: PeriodicReportPublic) -> list[Table]:
    head = Table(
        report.title,
        ("Mục", "Nội dung"),
        [
            ("Đơn vị", report.unit),
            ("Mã đơn vị", report.unit_code),
            ("Cơ quan cấp trên", report.parent),
            ("Từ ngày", _day(report.first)),
            ("Đến ngày", _day(report.last)),
            *((s.role, s.name or "") for s in report.signatures),
        ],
    )
    return [head, *rollup_tables(report.rollup)]


def alert_list_tables(listed: AlertDeliverySummaries, zone: ZoneInfo) -> list[Table]:
    header = (
        "Cảnh báo #",
        "Mã CAP",
        "Tiêu đề",
        "Phát hành lúc",
        "Cụm loa nhận lệnh",
        "Đã nhận",
        "Đã phát",
        "Chưa xác nhận",
        "Nhận (giây, trung vị)",
        "Nhận (giây, chậm nhất)",
        "Phát (giây, trung vị)",
        "Phát (giây, chậm nhất)",
    )
    rows = [
        (
            a.id,
            a.identifier,
            a.headline,
            local_moment(a.issued_at, zone),
            a.targeted,
            a.received,
            a.started,
            a.never_acknowledged,
            a.to_received.median_s,
            a.to_received.max_s,
            a.to_started.median_s,
            a.to_started.max_s,
        )
        for a in listed.data
    ]
    return [Table("Cảnh báo khẩn cấp: thời gian đến các cụm loa", header, rows)]


def alert_tables(report: AlertDeliveryReport, zone: ZoneInfo) -> list[Table]:
    rows = [
        (
            s.station_id,
            s.station_name,
            local_moment(s.received_at, zone),
            local_moment(s.started_at, zone),
            s.to_received_s,
            s.to_started_s,
            "có" if s.never_acknowledged else "",
        )
        for s in report.stations
    ]
    header = (
        "Cụm loa #",
        "Tên",
        "Nhận lúc",
        "Bắt đầu phát lúc",
        "Nhận sau (giây)",
        "Phát sau (giây)",
        "Không xác nhận",
    )
    return [Table(f"{report.summary.identifier}: {report.summary.headline}", header, rows)]


def first_rows(tables: Sequence[Table]) -> int:
    return len(tables[0].rows) if tables else 0
