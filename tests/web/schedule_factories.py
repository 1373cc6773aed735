"""The playlist previews' set-ups, shared by the page tests and the browser's."""

from __future__ import annotations

from datetime import time

from playlists.builder.recurrence import Recurrence, Repeat
from playlists.sessions import crud as sessions_crud
from playlists.sessions.models import SessionIn
from tests.playlists.content.factories import actor
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import make_station
from tests.world import World, now

LATE_TITLE = "Thông báo họp dân"


def evening(world: World) -> tuple[list[int], int]:
    """Two clusters of village A1; commune A's evening session of 5 minutes at 17:00 with
    a 3-minute bulletin and, after it, one of 3:05 that does not fit."""
    stations = [make_station(world, "A1"), make_station(world, "A1")]
    session_id = make_session(world, "A", start=time(17, 0), minutes=5)
    queue_into(world, session_id, approved_audio(world, "A", seconds=180, title="Tin chiều"))
    late = approved_audio(world, "A", seconds=185, title=LATE_TITLE)
    queue_into(world, session_id, late, order=1)
    return stations, session_id


def weekday_session(world: World, name: str, weekdays: set[int], *, at: time) -> int:
    """A 15-minute session of commune A for village A1 on `weekdays` (0 = Monday), with a
    2-minute bulletin "Tin sáng" queued every day."""
    session_in = SessionIn(
        name=name,
        area_id=world.areas["A"],
        start=at,
        max_length_s=900,
        recurrence=Recurrence(repeat=Repeat.weekdays, weekdays=frozenset(weekdays)),
        target_area_ids=[world.areas["A1"]],
    )
    with world.database.session(write=True) as session:
        created = sessions_crud.create_session(
            session=session, session_in=session_in, actor=actor(world, "operator_a"), now=now()
        )
        session.commit()
    assert created.id is not None
    queue_into(world, created.id, approved_audio(world, "A", seconds=120, title="Tin sáng"))
    return created.id
