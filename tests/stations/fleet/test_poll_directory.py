"""The poll directory and the manifest's fast path, on SQLite and PostgreSQL: an unchanged
manifest's 304 is answered from memory with no query; a revoked token is refused at once by
the process that revoked it and within the change interval by another (on PostgreSQL by
NOTIFY, the interval set long); a row read while a change was being read is not kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from api import create_app
from stations.fleet.auth import StationIdentity
from stations.fleet.directory import PollDirectory
from stations.fleet.enrolment import token_digest
from stations.fleet.sources import Caller
from stations.protocol import MANIFEST_PATH
from tests.conftest import make_settings
from tests.e2e.processes import wait_for
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrol
from tests.stations.fleet.scenario import keeper_for, schedule, stored_audio
from tests.world import World


def _bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


@pytest.fixture
def polled(client: TestClient, world: World) -> tuple[int, str, str]:
    """A station with a built manifest, polled once: (station, token, its ETag)."""
    schedule(world, "A", stored_audio(world, "A", client.app.state.content.storage))
    station = make_station(world, "A")
    token = enrol(world, station)
    keeper_for(world).tick()
    first = client.get(MANIFEST_PATH, headers=_bearer(token))
    assert first.status_code == 200, first.text
    return station, token, first.headers["etag"]


def _statements(app: FastAPI) -> list[str]:
    seen: list[str] = []
    database = app.state.database
    for engine in {database.engine, database.reads}:
        event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_an_unchanged_manifest_is_answered_from_memory(
    client: TestClient, polled: tuple[int, str, str]
) -> None:
    _, token, tag = polled
    directory: PollDirectory = client.app.state.directory  # type: ignore[attr-defined]
    statements = _statements(client.app)  # type: ignore[arg-type]
    headers = _bearer(token, **{"If-None-Match": tag})

    def queries() -> list[str]:
        return [s for s in statements if "station_change" not in s]

    def three_from_memory() -> bool:
        # The setup's own changes (the enrolment, the build) reach the directory late on
        # PostgreSQL (their NOTIFY, the watcher's next read) and forget the token: the first
        # poll after a forget asks the database once. Polls with no forget among them ask
        # nothing.
        before = directory.generation
        client.get(MANIFEST_PATH, headers=headers)  # remembered, if it was forgotten
        statements.clear()
        polls = [client.get(MANIFEST_PATH, headers=headers) for _ in range(3)]
        if directory.generation != before:
            return False  # forgotten meanwhile: again
        assert [(p.status_code, p.headers["etag"]) for p in polls] == [(304, tag)] * 3
        assert queries() == []  # not one query
        return True

    wait_for(three_from_memory, timeout=5, what="three 304s answered from memory")
    stale = client.get(MANIFEST_PATH, headers=_bearer(token, **{"If-None-Match": '"old"'}))
    assert stale.status_code == 200 and stale.headers["etag"] == tag


def test_a_revoked_token_is_refused_at_once(
    client: TestClient, world: World, polled: tuple[int, str, str]
) -> None:
    station, token, tag = polled
    revoked = client.post(f"/api/v1/stations/{station}/revoke", headers=world.headers("admin_a"))
    assert revoked.status_code == 204, revoked.text
    after = client.get(MANIFEST_PATH, headers=_bearer(token, **{"If-None-Match": tag}))
    assert after.status_code == 401


@pytest.fixture
def other_process(world: World, tmp_path: Path, client: TestClient) -> Iterator[TestClient]:
    # On PostgreSQL the other process reads the change log only every 5 s: a refusal
    # sooner is the triggers' NOTIFY. On SQLite it reads it every 0.2 s.
    interval = 0.2 if world.database.is_sqlite else 5.0
    settings = make_settings(world.database.url, tmp_path, station_changes_s=interval)
    app: FastAPI = create_app(settings)
    with TestClient(app) as second:
        yield second
    app.state.database.dispose()


def test_a_token_revoked_through_one_process_is_refused_by_another(
    client: TestClient, other_process: TestClient, world: World, polled: tuple[int, str, str]
) -> None:
    station, token, tag = polled
    headers = _bearer(token, **{"If-None-Match": tag})
    assert other_process.get(MANIFEST_PATH, headers=_bearer(token)).status_code == 200
    assert other_process.get(MANIFEST_PATH, headers=headers).status_code == 304  # from memory
    revoked = client.post(f"/api/v1/stations/{station}/revoke", headers=world.headers("admin_a"))
    assert revoked.status_code == 204
    status: list[int] = []

    def refused() -> bool:
        status.append(other_process.get(MANIFEST_PATH, headers=headers).status_code)
        return status[-1] == 401

    wait_for(refused, timeout=3, what="the revoked token refused by the other process")
    assert set(status) <= {304, 401}


def test_a_row_read_while_changes_were_read_is_not_kept(world: World) -> None:
    directory = PollDirectory(world.database)
    directory.start()
    caller = Caller(StationIdentity(station_id=1, area_id=1), None)
    calls: list[str] = []

    def lookup_during_a_change(token_hash: str) -> Caller:
        calls.append(token_hash)
        directory.forget_stations([2])  # another station's change, read meanwhile
        return caller

    key = token_digest("a-token")
    assert directory.identify(key, lookup_during_a_change) == caller
    assert directory.cached(key) is None  # it might be older than what was just read

    def lookup(token_hash: str) -> Any:
        calls.append(token_hash)
        return caller

    directory.identify(key, lookup)
    assert directory.cached(key) == caller and len(calls) == 2
    directory.forget_stations([1])
    assert directory.cached(key) is None
