"""The one query every area-scoped list is built on: rows whose area lies in some subtrees."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy.orm import Mapped
from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from core.areas.models import Area
from core.auth.permissions import in_scope

T = TypeVar("T")


def within_areas(
    query: SelectOfScalar[T], *, area_id: Mapped[int], prefixes: Iterable[str]
) -> SelectOfScalar[T]:
    """`query` narrowed to the rows whose area (`area_id`, a column of a table the query
    already selects from) lies in one of the subtrees `prefixes` (area paths, as from
    `Principal.scope_prefixes`). No prefixes, no rows.

    It joins `Area` by that column, so the caller may narrow further on `Area` (a smaller
    subtree, a level) without joining it again."""
    return query.join(Area, col(Area.id) == area_id).where(in_scope(col(Area.path), prefixes))
