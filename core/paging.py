"""Query parameters shared by every list route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict

from core.models import MAX_ID


class Page(BaseModel):
    model_config = ConfigDict(frozen=True)

    offset: int
    limit: int


def _page(
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Rows to return, at most 500")] = 100,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(_page)]
