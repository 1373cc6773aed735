"""station changes for the poll directory: database triggers log each change to what a
station's token answers (its build, its token, the station itself) in station_change, and on
PostgreSQL NOTIFY loaxa_stations with the station's id, so every server process keeps its
in-memory poll directory current whoever wrote the change

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the station's id column, the events that change what its token answers)
_WATCHED = (
    ("station_build", "station_id", ("INSERT", "UPDATE", "DELETE")),
    ("station_agent", "station_id", ("INSERT", "UPDATE OF token_hash", "DELETE")),
    ("station", "id", ("UPDATE", "DELETE")),
)


def _trigger_name(table: str, event: str) -> str:
    return f"{table}_{event.split()[0].lower()}_logs_change"


def upgrade() -> None:
    op.create_table(
        "station_change",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table, column, events in _WATCHED:
        for event in events:
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
                f"BEGIN INSERT INTO station_change (station_id) VALUES ({row}.{column}); END"
            )


def _postgresql_triggers() -> None:
    for table, column, _ in _WATCHED:
        op.execute(
            f"""CREATE FUNCTION {table}_logs_change() RETURNS trigger AS $$
            DECLARE changed integer;
            BEGIN
                IF TG_OP = 'DELETE' THEN changed := OLD.{column}; ELSE changed := NEW.{column};
                END IF;
                INSERT INTO station_change (station_id) VALUES (changed);
                PERFORM pg_notify('loaxa_stations', changed::text);
                RETURN NULL;
            END $$ LANGUAGE plpgsql"""
        )
    for table, _, events in _WATCHED:
        for event in events:
            op.execute(
                f"CREATE TRIGGER {_trigger_name(table, event)} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_logs_change()"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _, events in _WATCHED:
        for event in events:
            on = f" ON {table}" if postgresql else ""
            op.execute(f"DROP TRIGGER {_trigger_name(table, event)}{on}")
        if postgresql:
            op.execute(f"DROP FUNCTION {table}_logs_change()")
    op.drop_table("station_change")
