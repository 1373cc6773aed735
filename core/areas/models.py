"""The area tree: country → province → commune → village. Levels are data, not code."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime


def _check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as Asia/Ho_Chi_Minh)"
        ) from exc
    return value


class AreaBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    # "province", "commune", "village", ... as the data says.
    level: str = Field(min_length=1, max_length=40)
    # Official code (e.g. from vietnam-provinces); unique when present.
    code: str | None = Field(default=None, max_length=40, unique=True)
    # xã, phường, đặc khu, tỉnh, ...: policy defaults follow it (urban ward or rural commune).
    division_type: str | None = Field(default=None, max_length=40)


class AreaCreate(AreaBase, InputModel):
    parent_id: Id
    # Inherited from the parent when not given.
    timezone: str | None = Field(default=None, max_length=64)

    _tz = field_validator("timezone")(_check_timezone)


class AreaUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset(
        {"name", "level", "timezone", "parent_id"}
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    level: str | None = Field(default=None, min_length=1, max_length=40)
    code: str | None = Field(default=None, max_length=40)
    division_type: str | None = Field(default=None, max_length=40)
    timezone: str | None = Field(default=None, max_length=64)
    parent_id: Id | None = None

    _tz = field_validator("timezone")(_check_timezone)


class Area(AreaBase, table=True):
    # text_pattern_ops lets PostgreSQL use the index for "path LIKE 'prefix%'".
    __table_args__ = (Index("ix_area_path", "path", postgresql_ops={"path": "text_pattern_ops"}),)

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("area.id", ondelete="RESTRICT"), index=True),
    )
    timezone: str = Field(max_length=64)
    # Materialised path of ids, "/1/5/23/": a subtree is everything whose path starts with it.
    path: str = Field(default="", max_length=400)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AreaPublic(AreaBase, OutputModel):
    id: int
    parent_id: int | None
    timezone: str
    path: str
    created_at: datetime


class AreasPublic(OutputModel):
    data: list[AreaPublic]
    count: int
