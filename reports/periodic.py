"""The periodic report (báo cáo định kỳ) of an area for a month, a quarter, six months or a
year: the unit's header, the roll-up per sub-area, and the signature blocks. Generating it
(not previewing it) is recorded: retention keeps every day of a period until its report has
been generated at least once (reports/retention.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, Session, SQLModel, col, select

from core.areas.models import Area
from core.audit.chain import Actor, Subject, record
from core.sqltypes import UTCDateTime
from reports.models import PeriodicReportPublic, SignaturePublic
from reports.periods import Period, period_bounds
from reports.rollup import area_rollup

PERIODIC = (Period.month, Period.quarter, Period.half, Period.year)
# The three signatures a Vietnamese administrative report carries, in this order.
SIGNATURES = ("Người lập biểu", "Người kiểm tra", "Thủ trưởng đơn vị")
_ROMAN = ("I", "II", "III", "IV")


class ReportGeneration(SQLModel, table=True):
    """A periodic report that was generated (downloaded or printed), by whom and when."""

    __tablename__ = "report_generation"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(index=True)  # no foreign key: the record outlives a merged area
    area_path: str = Field(max_length=400)
    period: str = Field(max_length=12)
    first: date = Field(index=True)
    last: date
    generated_at: datetime = Field(sa_type=UTCDateTime)
    generated_by: int | None = None
    generated_by_name: str | None = Field(default=None, max_length=200)


def period_title(period: Period, first: date) -> str:
    """How the report names its period: "Tháng 11 năm 2026", "Quý IV năm 2026", ..."""
    if period is Period.month:
        return f"Tháng {first.month} năm {first.year}"
    if period is Period.quarter:
        return f"Quý {_ROMAN[(first.month - 1) // 3]} năm {first.year}"
    if period is Period.half:
        half = "6 tháng đầu năm" if first.month == 1 else "6 tháng cuối năm"
        return f"{half} {first.year}"
    return f"Năm {first.year}"


def periodic_report(
    *,
    session: Session,
    area: Area,
    period: Period,
    anchor: date,
    signers: tuple[str | None, str | None, str | None],
    now: datetime,
) -> PeriodicReportPublic:
    first, last = period_bounds(period, anchor)
    parent = session.get(Area, area.parent_id) if area.parent_id is not None else None
    generated = session.exec(
        select(ReportGeneration)
        .where(
            ReportGeneration.area_id == area.id,
            ReportGeneration.period == period.value,
            ReportGeneration.first == first,
        )
        .order_by(col(ReportGeneration.generated_at).desc())
    ).first()
    return PeriodicReportPublic(
        area_id=area.id or 0,
        unit=area.name,
        unit_code=area.code,
        unit_level=area.level,
        parent=parent.name if parent else None,
        period=period.value,
        title=f"Báo cáo định kỳ hoạt động truyền thanh cơ sở — {period_title(period, first)}",
        first=first,
        last=last,
        rollup=area_rollup(session=session, area=area, period=period.value, first=first, last=last),
        signatures=[
            SignaturePublic(role=r, name=n) for r, n in zip(SIGNATURES, signers, strict=True)
        ],
        made_at=now,
        last_generated_at=generated.generated_at if generated else None,
        last_generated_by=generated.generated_by_name if generated else None,
    )


def record_generation(
    *, session: Session, area: Area, report: PeriodicReportPublic, actor: Actor, now: datetime
) -> ReportGeneration:
    """The report was generated: kept (so retention may let its days go) and audited."""
    assert area.id is not None
    generation = ReportGeneration(
        area_id=area.id,
        area_path=area.path,
        period=report.period,
        first=report.first,
        last=report.last,
        generated_at=now,
        generated_by=actor.id,
        generated_by_name=actor.name,
    )
    session.add(generation)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="report.generate",
        subject=Subject("report", generation.id, area.id),
        after={"period": report.period, "first": str(report.first), "last": str(report.last)},
        now=now,
    )
    return generation
