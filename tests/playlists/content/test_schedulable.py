"""The query later issues use: approved content inside its validity window, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playlists.content import crud
from playlists.content.models import ContentStatus
from tests.playlists.content.factories import make_item
from tests.world import World

T0 = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)


def _window(world: World, item_id: int, start: datetime | None, end: datetime | None) -> None:
    with world.database.session(write=True) as session:
        item = crud.get_item(session=session, item_id=item_id)
        item.valid_from, item.valid_until = start, end
        session.add(item)
        session.commit()


def _schedulable(world: World, at: datetime) -> set[int]:
    with world.database.session() as session:
        return {i.id for i in crud.schedulable_content(session=session, at=at) if i.id}


def test_only_approved_items_inside_their_window(world: World) -> None:
    always = make_item(world, "A", status=ContentStatus.approved)
    december = make_item(world, "A", status=ContentStatus.approved)
    _window(world, december, T0, T0 + timedelta(days=1))
    until_t0 = make_item(world, "B", status=ContentStatus.approved)
    _window(world, until_t0, None, T0)
    for status in (
        ContentStatus.draft,
        ContentStatus.submitted,
        ContentStatus.rejected,
        ContentStatus.archived,
    ):
        make_item(world, "A", status=status)
    assert _schedulable(world, T0 - timedelta(seconds=1)) == {always, until_t0}
    assert _schedulable(world, T0) == {always, december}
    assert _schedulable(world, T0 + timedelta(days=1)) == {always}
    with world.database.session() as session:
        in_b = crud.schedulable_content(
            session=session, at=T0 - timedelta(hours=1), area_ids=[world.areas["B"]]
        )
    assert [i.id for i in in_b] == [until_t0]
