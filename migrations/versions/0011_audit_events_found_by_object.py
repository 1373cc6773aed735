"""audit events found by their object (an item's history reads them)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_object", table_name="audit_event")
