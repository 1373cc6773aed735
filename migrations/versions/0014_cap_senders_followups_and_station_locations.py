"""CAP follow-ups and targets: alert identifiers unique per sender, the language, references
as sent, the default expiry, a hold reason and images stored with an alert; stations gain a
location (latitude, longitude)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0007 left the identifier's unique constraint unnamed: PostgreSQL named it itself, and on
# SQLite batch mode finds it by this convention.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_unique_name() -> str:
    return (
        "alert_identifier_key"
        if op.get_bind().dialect.name == "postgresql"
        else "uq_alert_identifier"
    )


def upgrade() -> None:
    with op.batch_alter_table("alert", naming_convention=_SQLITE_NAMES) as batch:
        batch.drop_constraint(_old_unique_name(), type_="unique")
        batch.add_column(
            sa.Column(
                "language",
                sqlmodel.sql.sqltypes.AutoString(length=35),
                nullable=False,
                server_default="vi",
            )
        )
        batch.add_column(
            sa.Column("cap_references", sa.Text(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("expires_default", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("images", sa.Text(), nullable=False, server_default="[]"))
        batch.create_unique_constraint("uq_alert_sender_identifier", ["sender", "identifier"])
        batch.create_index("ix_alert_identifier", ["identifier"])
    with op.batch_alter_table("alert") as batch:
        # The defaults filled the rows already there; the models give every new row its own.
        for column in ("language", "cap_references", "images"):
            batch.alter_column(column, server_default=None)
    with op.batch_alter_table("station") as batch:
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("station") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
    with op.batch_alter_table("alert", naming_convention=_SQLITE_NAMES) as batch:
        batch.drop_index("ix_alert_identifier")
        batch.drop_constraint("uq_alert_sender_identifier", type_="unique")
        for column in ("images", "hold_reason", "expires_default", "cap_references", "language"):
            batch.drop_column(column)
        batch.create_unique_constraint(_old_unique_name(), ["identifier"])
