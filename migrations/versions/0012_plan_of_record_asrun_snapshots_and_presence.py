"""plan of record (every version of a station's day in force), as-run snapshots and
station health history

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 16:00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_SNAPSHOT: list[tuple[str, sa.types.TypeEngine[object]]] = [
    ("snapshot_kind", _TEXT(length=12)),
    ("snapshot_title", _TEXT(length=300)),
    ("snapshot_category", _TEXT(length=200)),
    ("snapshot_tier", _TEXT(length=12)),
    ("snapshot_language", _TEXT(length=35)),
    ("snapshot_lineage_id", sa.Integer()),
    ("snapshot_version", sa.Integer()),
    ("snapshot_alert", _TEXT(length=200)),
    ("snapshot_created_by", sa.Integer()),
    ("snapshot_created_by_name", _TEXT(length=200)),
    ("snapshot_approved_by", sa.Integer()),
    ("snapshot_approved_by_name", _TEXT(length=200)),
    ("owner_area_id", sa.Integer()),
    ("owner_area_code", _TEXT(length=40)),
    ("owner_area_name", _TEXT(length=200)),
    ("owner_area_level", _TEXT(length=40)),
    ("owner_area_path", _TEXT(length=400)),
    ("station_area_code", _TEXT(length=40)),
    ("station_area_name", _TEXT(length=200)),
    ("station_area_level", _TEXT(length=40)),
    ("station_area_path", _TEXT(length=400)),
]


_COUNTS = (
    "planned",
    "due",
    "played",
    "late",
    "partial",
    "preempted",
    "failed",
    "skipped",
    "missing",
    "missing_offline",
    "missing_incomplete",
    "upcoming",
    "unplanned",
)
_SECONDS = ("planned_s", "aired_s", "online_s", "elapsed_s")


def upgrade() -> None:
    op.create_table(
        "station_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", _TEXT(length=64), nullable=False),
        sa.Column("in_force_from", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("in_force_until", core.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("station_plan") as batch:
        batch.create_index("ix_station_plan_station_day", ["station_id", "day"], unique=False)
        batch.create_index("ix_station_plan_day", ["day"], unique=False)
    with op.batch_alter_table("asrun") as batch:
        for name, kind in _SNAPSHOT:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))
        batch.create_index("ix_asrun_station_day", ["station_id", "day"], unique=False)
        batch.create_index("ix_asrun_received", ["received_at"], unique=False)
        batch.create_index("ix_asrun_station_item", ["station_id", "item_id"], unique=False)
    _backfill_asrun_days()
    op.create_table(
        "station_day_summary",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("area_path", _TEXT(length=400), nullable=False),
        sa.Column("timezone", _TEXT(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(sa.Column(name, sa.Float(), nullable=False) for name in _SECONDS),
        sa.Column("breakdown_json", sa.Text(), nullable=False),
        sa.Column("incomplete_since", core.sqltypes.UTCDateTime(timezone=True), nullable=True),
        sa.Column("computed_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "day"),
    )
    with op.batch_alter_table("station_day_summary") as batch:
        batch.create_index("ix_station_day_summary_day", ["day"], unique=False)
        batch.create_index("ix_station_day_summary_area_path", ["area_path"], unique=False)
    op.create_table(
        "report_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("area_path", _TEXT(length=400), nullable=False),
        sa.Column("period", _TEXT(length=12), nullable=False),
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("generated_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.Integer(), nullable=True),
        sa.Column("generated_by_name", _TEXT(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_generation") as batch:
        batch.create_index("ix_report_generation_area_id", ["area_id"], unique=False)
        batch.create_index("ix_report_generation_first", ["first"], unique=False)
    with op.batch_alter_table("station_agent") as batch:
        batch.add_column(sa.Column("asrun_pending", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "asrun_pending_since", core.sqltypes.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "station_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("online_from", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.sqltypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("station_presence") as batch:
        batch.create_index(
            "ix_station_presence_station_seen", ["station_id", "last_seen_at"], unique=False
        )
    # Each station last seen opens its history: its next heartbeat extends that spell.
    op.execute(
        "INSERT INTO station_presence (station_id, online_from, last_seen_at) "
        "SELECT station_id, last_seen_at, last_seen_at FROM station_agent "
        "WHERE last_seen_at IS NOT NULL"
    )
    _backfill_plans()


def _backfill_asrun_days() -> None:
    """Each record's local day, in its area's time zone."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT r.id, r.occurred_at, a.timezone FROM asrun r JOIN area a ON a.id = r.area_id"
        )
    ).all()
    update = sa.text("UPDATE asrun SET day = :day WHERE id = :id")
    changes = []
    for record_id, occurred_at, timezone in rows:
        if isinstance(occurred_at, str):
            occurred_at = datetime.fromisoformat(occurred_at)
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        changes.append({"id": record_id, "day": occurred_at.astimezone(ZoneInfo(timezone)).date()})
    if changes:
        connection.execute(update, changes)


def _backfill_plans() -> None:
    """Today's builds become the first plan of record. When a build began is not known: a
    day already under way when it was built counts from that day's start, so today's
    morning is not lost from the record."""
    connection = op.get_bind()
    builds = connection.execute(
        sa.text(
            "SELECT b.station_id, s.area_id, b.version, b.days_json, b.timezone, b.built_at "
            "FROM station_build b JOIN station s ON s.id = b.station_id"
        )
    ).all()
    plan = sa.table(
        "station_plan",
        sa.column("station_id", sa.Integer()),
        sa.column("area_id", sa.Integer()),
        sa.column("day", sa.Date()),
        sa.column("version", sa.Integer()),
        sa.column("digest", sa.String()),
        sa.column("in_force_from", core.sqltypes.UTCDateTime(timezone=True)),
    )


    rows = []
    for station_id, area_id, version, days_json, timezone, built_at in builds:
        if isinstance(built_at, str):  # SQLite hands text back to a plain text() query
            built_at = datetime.fromisoformat(built_at)
        built_at = built_at.replace(tzinfo=UTC) if built_at.tzinfo is None else built_at
        for iso, digest in json.loads(days_json).items():
            day_start = datetime.combine(date.fromisoformat(iso), time(0), ZoneInfo(timezone))
            rows.append(
                {
                    "station_id": station_id,
                    "area_id": area_id,
                    "day": date.fromisoformat(iso),
                    "version": version,
                    "digest": digest,
                    "in_force_from": min(built_at, day_start.astimezone(UTC)),
                }
            )
    if rows:
        op.bulk_insert(plan, rows)


def downgrade() -> None:
    op.drop_table("report_generation")
    op.drop_table("station_day_summary")
    op.drop_table("station_presence")
    with op.batch_alter_table("station_agent") as batch:
        batch.drop_column("asrun_pending_since")
        batch.drop_column("asrun_pending")
    with op.batch_alter_table("asrun") as batch:
        batch.drop_index("ix_asrun_station_item")
        batch.drop_index("ix_asrun_received")
        batch.drop_index("ix_asrun_station_day")
        batch.drop_column("day")
        for name, _ in reversed(_SNAPSHOT):
            batch.drop_column(name)
    op.drop_table("station_plan")
