"""stations that play Test and Exercise alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("station") as batch:
        batch.add_column(
            sa.Column(
                "plays_test_alerts", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("station") as batch:
        batch.drop_column("plays_test_alerts")
