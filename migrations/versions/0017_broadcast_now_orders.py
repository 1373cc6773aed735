"""broadcast now orders (phát ngay, dừng phát): an alert row of the priority layer, told
apart by order_action ("play" or "stop"; NULL for an emergency alert); and each session's
after_cut ("resume" or "replay"): what happens to a bulletin a higher layer cuts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("order_action", sa.String(length=8), nullable=True))
        batch.create_index("ix_alert_order_action", ["order_action"])
    with op.batch_alter_table("broadcast_session") as batch:
        batch.add_column(
            sa.Column("after_cut", sa.String(length=8), nullable=False, server_default="resume")
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast_session") as batch:
        batch.drop_column("after_cut")
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_order_action")
        batch.drop_column("order_action")
