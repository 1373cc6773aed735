"""Base classes for API input models: unknown fields are refused, values are validated."""

from __future__ import annotations

from pydantic import ConfigDict
from sqlmodel import SQLModel


class InputModel(SQLModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[assignment]


class OutputModel(SQLModel):
    model_config = ConfigDict(from_attributes=True)  # type: ignore[assignment]
