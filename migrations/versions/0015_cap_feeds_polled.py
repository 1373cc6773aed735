"""CAP feeds polled by the server (cap_feed) and the documents each one linked to
(cap_feed_document), so a document is fetched and imported once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.sqltypes

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, core.sqltypes.UTCDateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cap_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("name", 200),
        _text("url", 2000),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("silent_after_s", sa.Integer(), nullable=False),
        sa.Column("issue_now", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("senders", sa.Text(), nullable=False),
        sa.Column("link_hosts", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        _moment("created_at", nullable=False),
        _moment("next_poll_at", nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _text("etag", 500, nullable=True),
        _text("last_modified", 100, nullable=True),
        _moment("last_polled_at"),
        _moment("last_success_at"),
        _moment("last_new_document_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _moment("last_error_at"),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cap_feed_area_id", "cap_feed", ["area_id"])
    op.create_index("ix_cap_feed_next_poll_at", "cap_feed", ["next_poll_at"])
    op.create_table(
        "cap_feed_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        _text("url", 2000),
        _text("outcome", 20),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        _moment("first_seen_at", nullable=False),
        _moment("updated_at", nullable=False),
        sa.ForeignKeyConstraint(["feed_id"], ["cap_feed.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "url", name="uq_cap_feed_document_url"),
    )
    op.create_index("ix_cap_feed_document_feed_id", "cap_feed_document", ["feed_id"])


def downgrade() -> None:
    op.drop_index("ix_cap_feed_document_feed_id", table_name="cap_feed_document")
    op.drop_table("cap_feed_document")
    op.drop_index("ix_cap_feed_next_poll_at", table_name="cap_feed")
    op.drop_index("ix_cap_feed_area_id", table_name="cap_feed")
    op.drop_table("cap_feed")
