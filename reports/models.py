"""What the reports answer (API models)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from core.models import OutputModel
from playlists.timelines.models import PlanVersionPublic
from stations.fleet.models import AsRun


class AiredPublic(OutputModel):
    """An as-run record with what its item was when it aired."""

    id: str
    item_id: str | None
    result: str
    error: str | None
    planned_start: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    kind: str | None = Field(description="content, alert or unknown (as it was when it aired)")
    title: str | None
    tier: str | None
    category: str | None
    language: str | None
    content_id: int | None
    lineage_id: int | None
    version: int | None
    alert: str | None = Field(description="the alert's CAP identifier")
    created_by: str | None
    approved_by: str | None
    owner_area: str | None
    owner_area_code: str | None
    owner_area_level: str | None = Field(description="the owning area's level: origin")

    @classmethod
    def of(cls, row: AsRun) -> AiredPublic:
        return cls(
            id=row.id,
            item_id=row.item_id,
            result=row.result,
            error=row.error,
            planned_start=row.planned_start,
            started_at=row.started_at,
            ended_at=row.ended_at,
            kind=row.snapshot_kind,
            title=row.snapshot_title,
            tier=row.snapshot_tier,
            category=row.snapshot_category,
            language=row.snapshot_language,
            content_id=row.content_id,
            lineage_id=row.snapshot_lineage_id,
            version=row.snapshot_version,
            alert=row.snapshot_alert,
            created_by=row.snapshot_created_by_name,
            approved_by=row.snapshot_approved_by_name,
            owner_area=row.owner_area_name,
            owner_area_code=row.owner_area_code,
            owner_area_level=row.owner_area_level,
        )


class ItemOutcomePublic(OutputModel):
    id: str = Field(description="the planned item's id (queue entry @ start, UTC)")
    start: datetime
    duration_s: float
    tier: str
    title: str
    content_id: int | None
    outcome: str = Field(
        description="played, late, partial, preempted, failed, skipped, missing or upcoming"
    )
    reason: str | None = Field(
        description="the agent's words (interrupted, joined part-way, ...); for a missing "
        "item: offline, data_incomplete or no_record"
    )
    aired_s: float
    start_delay_s: float | None
    records: list[AiredPublic]
    preempted_by: list[AiredPublic] = Field(
        description="unplanned broadcasts (alerts, ...) on the air during the item"
    )


class StationDaySummary(OutputModel):
    planned: int
    due: int = Field(description="planned items whose time has come")
    outcomes: dict[str, int]
    compliance: float | None = Field(description="played or late, of the due items (0-1)")
    planned_s: float
    aired_s: float
    online_s: float
    elapsed_s: float = Field(description="how much of the day has passed")
    incomplete_since: datetime | None = Field(
        description="the station still holds as-run records from this moment on"
    )


class StationDayPublic(OutputModel):
    station_id: int
    station_name: str | None = Field(default=None, description="the station's name now")
    date: date
    timezone: str
    plan: list[PlanVersionPublic]
    items: list[ItemOutcomePublic]
    unplanned: list[AiredPublic] = Field(
        description="records no plan holds: alerts, broadcast now, live, unknown"
    )
    summary: StationDaySummary


class BulletinCount(OutputModel):
    bulletins: int
    minutes: float


class TotalsPublic(OutputModel):
    stations: int
    station_days: int
    planned: int
    due: int
    played: int
    late: int
    partial: int
    preempted: int
    failed: int
    skipped: int
    missing: int
    missing_offline: int
    missing_incomplete: int
    unplanned: int
    planned_minutes: float = Field(description="broadcast minutes planned, of the items due")
    aired_minutes: float
    compliance: float | None = Field(description="played or late, of the items due (0-1)")
    uptime: float | None = Field(description="time online, of the time passed (0-1)")
    by_tier: dict[str, BulletinCount] = Field(description="what aired, by tier")
    by_category: dict[str, BulletinCount]
    by_language: dict[str, BulletinCount]
    by_origin: dict[str, BulletinCount] = Field(
        description="what aired, by the level of the area that owned it"
    )
    by_hour: dict[str, BulletinCount] = Field(
        default_factory=dict,
        description='what aired, by the station\'s local hour it started in ("00" to "23")',
    )


class RollupRowPublic(OutputModel):
    area_id: int | None = Field(description="None: a sub-area since merged away")
    own: bool = Field(
        default=False, description="the stations of the area itself, not of a sub-area"
    )
    name: str | None
    code: str | None
    level: str | None
    path: str
    totals: TotalsPublic


class RollupDayPublic(OutputModel):
    date: date
    totals: TotalsPublic


class AreaRollupPublic(OutputModel):
    area_id: int
    name: str
    code: str | None
    level: str
    period: str
    first: date
    last: date
    totals: TotalsPublic
    children: list[RollupRowPublic]
    days: list[RollupDayPublic] = Field(
        default_factory=list, description="the area's totals for each day of the range"
    )
    summed_at: datetime | None = Field(
        description="when the oldest station-day summary in the range was summed"
    )


class LogEntryPublic(OutputModel):
    """One line of the broadcast log book (sổ nhật ký phát sóng)."""

    at: datetime = Field(description="when it aired, or was due")
    planned_start: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    title: str
    tier: str | None
    category: str | None
    planned_s: float | None = Field(description="None: not in the plan (an alert, ...)")
    aired_s: float
    outcome: str = Field(description="as in the station-day report, or unplanned")
    reason: str | None
    created_by: str | None
    approved_by: str | None
    owner_area: str | None


class LogDayPublic(OutputModel):
    date: date
    entries: list[LogEntryPublic]
    summary: StationDaySummary


class LogBookPublic(OutputModel):
    station_id: int
    station_name: str
    station_code: str | None
    area_name: str
    area_code: str | None
    timezone: str
    first: date
    last: date
    days: list[LogDayPublic]


class ProofStationPublic(OutputModel):
    station_id: int
    name: str | None = Field(description="None: the station has since been deleted")
    planned: int = Field(description="times the bulletin was in the station's plan")
    aired: int = Field(description="times it aired (whole or in part)")
    first_aired: datetime | None
    last_aired: datetime | None
    offline_since: datetime | None = Field(description="offline now, last seen then")
    incomplete_since: datetime | None = Field(
        description="the station still holds as-run records from then on"
    )


class ProofOfPlayPublic(OutputModel):
    """E.g. "41/44 cụm loa; 3 offline since 05:10": aired_on/targeted; offline, since."""

    lineage_id: int
    title: str | None
    first: date
    last: date
    targeted: int = Field(description="stations the bulletin was planned for")
    aired_on: int = Field(description="of those, the stations it aired on")
    aired_unplanned: int = Field(description="stations it aired on without a plan for it")
    not_aired: int
    offline: int = Field(description="of those it did not air on, the stations offline now")
    offline_since: datetime | None
    stations: list[ProofStationPublic]
    records: list[AiredPublic]


class SignaturePublic(OutputModel):
    role: str = Field(description="Người lập biểu, Người kiểm tra, Thủ trưởng đơn vị")
    name: str | None = Field(description="left blank to sign by hand")


class PeriodicReportPublic(OutputModel):
    """The periodic report (báo cáo định kỳ) an area sends upward."""

    area_id: int
    unit: str
    unit_code: str | None
    unit_level: str
    parent: str | None = Field(description="the unit it reports to")
    period: str
    title: str
    first: date
    last: date
    rollup: AreaRollupPublic
    signatures: list[SignaturePublic]
    made_at: datetime
    last_generated_at: datetime | None = Field(
        description="when it was last generated (retention keeps the period until then)"
    )
    last_generated_by: str | None
