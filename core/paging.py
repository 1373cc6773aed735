"""Query parameters shared by every list route."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from core.models import MAX_ID

T = TypeVar("T")


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


def paginate(
    session: Session, query: SelectOfScalar[T], page: Page, *order_by: Any
) -> tuple[list[T], int]:
    """One page of `query` in `order_by` order, and how many rows it has in all."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(*order_by).offset(page.offset).limit(page.limit)).all()
    return list(rows), total
