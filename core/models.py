"""Base classes and shared field types for API models: unknown fields are refused,
values are validated before anything reaches the database."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from fastapi import Path
from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import SQLModel

# Ids are 32-bit integers in the database (PostgreSQL INTEGER).
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

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
