"""The content library: uploaded audio, TTS bulletins and relays, each versioned and
approved before air."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, HttpUrl, field_validator, model_validator
from sqlalchemy import Column, Enum, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import Id, InputModel, OutputModel
from core.sqltypes import UTCDateTime

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


def _text_enum(enum: type[StrEnum]) -> Enum:
    # Plain text in the database: a new value needs no migration.
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class ContentKind(StrEnum):
    audio = "audio"
    tts = "tts"
    relay = "relay"


class ContentStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    archived = "archived"


class Tier(StrEnum):
    """Circular 39/2020/TT-BTTTT: thường, ưu tiên, khẩn cấp."""

    normal = "normal"
    priority = "priority"
    emergency = "emergency"


class RelayCheck(StrEnum):
    pending = "pending"
    ok = "ok"
    warning = "warning"


class ContentMeta(InputModel):
    """What an operator says about any item."""

    title: str = Field(min_length=1, max_length=200)
    category: str = Field(
        default="", max_length=60, description="e.g. thông báo, tin tức, nhạc hiệu"
    )
    language: str = Field(
        default="vi",
        min_length=2,
        max_length=35,
        schema_extra={"pattern": LANGUAGE_PATTERN},
        description="BCP 47 tag: vi, km, ...",
    )
    tier: Tier = Tier.normal
    area_id: Id = Field(description="The area that owns the item")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    source: str = Field(default="", max_length=200, description="e.g. UBND xã, VOV1")
    text: str | None = Field(
        default=None,
        max_length=20_000,
        description="The bulletin's text (what TTS reads, or a transcript)",
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> ContentMeta:
        _check_window(self.valid_from, self.valid_until)
        return self

    _years = field_validator("valid_from", "valid_until")(lambda v: _plausible_year(v))


def _plausible_year(value: datetime | None) -> datetime | None:
    if value is not None and not 2000 <= value.year <= 2999:
        raise ValueError("the year must be between 2000 and 2999")
    return value


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and end <= start:
        raise ValueError("valid_until must be after valid_from")


class TtsCreate(ContentMeta):
    text: str = Field(min_length=1, max_length=20_000)
    voice: str | None = Field(
        default=None,
        max_length=60,
        description="An engine voice id; the language's first voice if left out",
    )


class RelayCreate(ContentMeta):
    stream_url: HttpUrl = Field(description="http(s) stream, or an .m3u/.pls playlist")


class ContentUpdate(InputModel):
    not_null_fields: ClassVar[frozenset[str]] = frozenset(
        {"title", "category", "language", "tier", "area_id", "source"}
    )

    title: str | None = Field(default=None, min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=60)
    language: str | None = Field(
        default=None, min_length=2, max_length=35, schema_extra={"pattern": LANGUAGE_PATTERN}
    )
    tier: Tier | None = None
    area_id: Id | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    source: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=20_000)
    stream_url: HttpUrl | None = None

    _years = field_validator("valid_from", "valid_until")(lambda v: _plausible_year(v))


class RejectRequest(InputModel):
    reason: str = Field(min_length=3, max_length=1000)


class ContentItem(SQLModel, table=True):
    __tablename__ = "content_item"
    __table_args__ = (UniqueConstraint("lineage_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    # Versions of one item share a lineage (the first version's id).
    lineage_id: int = Field(default=0, index=True)
    version: int = 1
    kind: ContentKind = Field(sa_type=_text_enum(ContentKind))
    status: ContentStatus = Field(sa_type=_text_enum(ContentStatus), index=True)
    title: str = Field(max_length=200)
    category: str = Field(default="", max_length=60)
    language: str = Field(max_length=35)
    tier: Tier = Field(sa_type=_text_enum(Tier))
    area_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("area.id", ondelete="RESTRICT"), nullable=False, index=True
        )
    )
    valid_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source: str = Field(default="", max_length=200)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    voice: str | None = Field(default=None, max_length=60)
    stream_url: str | None = Field(default=None, max_length=2000)
    relay_check: RelayCheck | None = Field(default=None, sa_type=_text_enum(RelayCheck))
    relay_check_message: str | None = Field(default=None, max_length=500)
    relay_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The canonical audio (none for relays).
    sha256: str | None = Field(default=None, max_length=64, index=True)
    size_bytes: int | None = None
    duration_s: float | None = None
    original_filename: str | None = Field(default=None, max_length=255)
    source_format: str | None = Field(default=None, max_length=100)
    loudness_before_lufs: float | None = None
    loudness_after_lufs: float | None = None
    peak_before_dbfs: float | None = None
    peak_after_dbfs: float | None = None
    gain_db: float | None = None
    created_by: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="RESTRICT"), nullable=False)
    )
    # Everyone who wrote or changed this version (",3,7,"): none of them may approve it.
    contributors: str = Field(default=",", max_length=2000)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: int | None = Field(default=None)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reject_reason: str | None = Field(default=None, max_length=1000)


class ContentPublic(OutputModel):
    id: int
    lineage_id: int
    version: int
    kind: ContentKind
    status: ContentStatus
    title: str
    category: str
    language: str
    tier: Tier
    area_id: int
    valid_from: datetime | None
    valid_until: datetime | None
    source: str
    text: str | None
    voice: str | None
    stream_url: str | None
    relay_check: RelayCheck | None
    relay_check_message: str | None
    relay_checked_at: datetime | None
    sha256: str | None
    size_bytes: int | None
    duration_s: float | None
    original_filename: str | None
    source_format: str | None
    loudness_before_lufs: float | None
    loudness_after_lufs: float | None
    peak_before_dbfs: float | None
    peak_after_dbfs: float | None
    gain_db: float | None
    created_by: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    reject_reason: str | None


class ContentsPublic(OutputModel):
    data: list[ContentPublic]
    count: int


class VoicePublic(OutputModel):
    engine: str
    language: str
    name: str
    label: str


def snapshot(item: ContentItem) -> dict[str, Any]:
    """What an audit event records of an item."""
    return ContentPublic.model_validate(item).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )
