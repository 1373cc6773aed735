"""within_areas: the rows whose area lies in some subtrees, and nothing else."""

from __future__ import annotations

from sqlmodel import col, select

from core.areas.models import Area
from core.areas.scope import within_areas
from core.auth.models import User
from tests.world import World


def _path(world: World, name: str) -> str:
    with world.database.session() as session:
        area = session.get(Area, world.areas[name])
        assert area is not None
        return area.path


def _usernames(world: World, *areas: str, level: str | None = None) -> set[str]:
    prefixes = [_path(world, a) for a in areas]
    query = within_areas(select(User), area_id=col(User.area_id), prefixes=prefixes)
    if level is not None:  # Area is joined already: the caller narrows on it
        query = query.where(Area.level == level)
    with world.database.session() as session:
        return {u.username for u in session.exec(query).all()}


def test_rows_of_the_subtrees_only(world: World) -> None:
    assert _usernames(world, "B") == {"plain_b"}
    assert _usernames(world, "A1", "B1") == {"plain_a", "plain_b"}
    in_a = {f"{role}_a" for role in ("admin", "supervisor", "operator", "approver")}
    assert _usernames(world, "P") == {*in_a, "admin_p", "plain_a", "plain_b"}
    assert _usernames(world, "Q") == set()


def test_no_subtree_no_rows(world: World) -> None:
    assert _usernames(world) == set()


def test_the_caller_may_narrow_on_the_area(world: World) -> None:
    assert _usernames(world, "P", level="village") == {"plain_a", "plain_b"}
