"""Two server processes on one database (here two apps, each with its own board, event hub
and event loop): an alert issued through one is pushed at once to an agent connected to
the other. On PostgreSQL a NOTIFY carries it (the second board's own check is set to a
minute, so only the notification can be in time); on SQLite the board's fingerprint check
does, every `alert_refresh_s`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import create_app
from stations.protocol import EVENTS_PATH
from tests.alerts.test_alert_delivery import _bearer, _issue, duty, station, storm
from tests.conftest import make_settings
from tests.stations.fleet.scenario import StoredAudio
from tests.world import World

__all__ = ["duty", "station", "storm"]  # fixtures shared with the delivery tests


@pytest.fixture
def other_process(world: World, tmp_path: Path, client: TestClient) -> Iterator[TestClient]:
    refresh = 0.2 if world.database.is_sqlite else 60.0
    # The same data directory as the first app's: the processes of one server share it.
    settings = make_settings(world.database.url, tmp_path, alert_refresh_s=refresh)
    app: FastAPI = create_app(settings)
    with TestClient(app) as second:
        yield second
    app.state.database.dispose()


def test_an_alert_issued_through_one_process_reaches_agents_on_another(
    client: TestClient,
    other_process: TestClient,
    world: World,
    duty: str,
    station: tuple[int, str],
    storm: StoredAudio,
) -> None:
    _, token = station
    with other_process.websocket_connect(EVENTS_PATH, headers=_bearer(token)) as socket:
        assert socket.receive_json()["type"] == "manifest"
        started = time.monotonic()
        alert = _issue(client, world, duty, content_id=storm.content_id)
        pushed = socket.receive_json()
        elapsed = time.monotonic() - started
    assert (pushed["type"], pushed["alert_id"]) == ("alert", alert["identifier"])
    # Far below the second board's own check on PostgreSQL: only the NOTIFY explains it.
    assert elapsed < 10
