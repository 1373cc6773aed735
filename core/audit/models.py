"""Audit events: an append-only hash chain of every change a person made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from core.models import OutputModel
from core.sqltypes import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    # text_pattern_ops lets PostgreSQL use the index for "area_path LIKE 'prefix%'".
    __table_args__ = (
        Index(
            "ix_audit_event_area_path",
            "area_path",
            postgresql_ops={"area_path": "text_pattern_ops"},
        ),
        # An item's history (playlists/content/history.py) reads its object's events.
        Index("ix_audit_event_object", "object_type", "object_id"),
    )

    # Assigned by the chain, 1, 2, 3, ...: a gap means an event was removed.
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, index=True)
    actor_name: str = Field(max_length=100)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    # The area the object belonged to and that area's path at the time, for scoped
    # reading; no foreign key, so the history outlives the area.
    area_id: int | None = Field(default=None, index=True)
    area_path: str | None = Field(default=None, max_length=400)
    # Canonical JSON (sorted keys), stored exactly as hashed.
    before_json: str = Field(sa_column=Column(Text, nullable=False))
    after_json: str = Field(sa_column=Column(Text, nullable=False))
    # What the change touches on the air, put there on purpose by the data function that
    # made it (core.audit.chain.Affects); null for changes that touch no playlist.
    affects_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """One row: the newest event, so that removing the last events is detected too."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_event_id: int = 0
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)


class AuditEventPublic(OutputModel):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    area_id: int | None
    before: object
    after: object
    hash: str


class AuditEventsPublic(OutputModel):
    data: list[AuditEventPublic]
    count: int
