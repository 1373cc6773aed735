"""Base classes and shared field types for API models: unknown fields are refused,
values are validated before anything reaches the database."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar

from fastapi import Path
from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

# Ids are 32-bit integers in the database (PostgreSQL INTEGER).
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

# A moment as ISO 8601 text with its offset: 2026-11-29T05:30:00+07:00, or ...Z for UTC.
# Pydantic alone also takes numbers ("-1", "1700000000") as Unix times; only text of this
# shape goes on to it, which checks the values (no 30 February) and makes the datetime.
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})", re.ASCII
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _iso_moment(value: object) -> object:
    if isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
        return value
    raise PydanticCustomError(
        "iso_datetime",
        "expected an ISO 8601 date and time with its offset (time zone), e.g. "
        "2026-11-29T05:30:00+07:00 or 2026-11-28T22:30:00Z (in a URL, + is written %2B)",
    )


def _iso_day(value: object) -> object:
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise PydanticCustomError("iso_date", "expected a day as YYYY-MM-DD, e.g. 2026-11-29")


# For query parameters: text only, so the OpenAPI schema still says string/date-time.
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_moment)]
IsoDate = Annotated[date, BeforeValidator(_iso_day)]

# Control characters other than tab and newlines have no business in names or text, and
# PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InputModel(SQLModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[assignment]

    # Fields an update may leave out but may not set to null.
    not_null_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_explicit_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for values the client sent, never for defaults.
        if value is None and info.field_name in cls.not_null_fields:
            raise ValueError("cannot be null: leave the field out to keep the current value")
        return value

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value


class OutputModel(SQLModel):
    model_config = ConfigDict(from_attributes=True)  # type: ignore[assignment]
