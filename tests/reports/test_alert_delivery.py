"""GET /api/v1/reports/alerts and /api/v1/reports/alerts/{id}, on SQLite and PostgreSQL: an
issued alert, its stations' acknowledgements written by the real ack buffer, and the
report's times from issue, counts and the stations to call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerts.acks import AckBuffer
from alerts.models import Alert
from stations.crud import delete_station, get_station
from stations.protocol import Stage
from tests.alerts.factories import SETUP, make_alert, make_cancel
from tests.clock import SettableClock
from tests.stations.factories import make_station
from tests.world import World, now

REPORTS = "/api/v1/reports/alerts"


@pytest.fixture
def clock() -> SettableClock:
    """Now, not the reports' day: the alerts are made at the wall clock's time."""
    return SettableClock(now())


def _issued_at(alert: Alert) -> datetime:
    assert alert.issued_at is not None
    return alert.issued_at


def _acknowledge(world: World, alert: Alert, *acks: tuple[int, Stage, float]) -> None:
    """Acks as agents send them (station, stage, seconds after the issue), written in one
    flush as the server's ack buffer writes them."""
    buffer = AckBuffer(world.database)
    for station, stage, after_s in acks:
        at = _issued_at(alert) + timedelta(seconds=after_s)
        buffer.add(station_id=station, alert_id=alert.identifier, stage=stage, at=at)
    assert buffer.flush() == len(acks)


def _get(client: TestClient, world: World, clock: SettableClock, url: str, **query: str) -> Any:
    headers = world.headers("supervisor_a", clock.now())
    answer = client.get(url, params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_each_station_timed_from_the_issue_and_the_silent_one_named_after_the_timeout(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    quick, slow, heard, silent = (make_station(world, a) for a in ("A", "A", "A1", "A"))
    gone = make_station(world, "A")
    make_station(world, "B")  # another commune: not a target
    alert = make_alert(world, "A", issued=True)
    _acknowledge(
        world,
        alert,
        (quick, "received", 1.5),
        (quick, "started", 2.5),
        (quick, "finished", 14.5),
        (slow, "received", 4.0),
        (slow, "started", 6.0),
        (heard, "received", 3.0),
        (gone, "received", 2.0),
    )
    with world.database.session(write=True) as session:
        station = get_station(session=session, station_id=gone)
        delete_station(session=session, station=station, actor=SETUP, now=now())
        session.commit()

    clock.current = _issued_at(alert) + timedelta(seconds=10)
    early = _get(client, world, clock, f"{REPORTS}/{alert.id}")
    by_station = {s["station_id"]: s for s in early["stations"]}
    assert list(by_station) == sorted([quick, slow, heard, silent, gone])
    assert by_station[gone]["station_name"] is None  # deleted since, still listed
    assert by_station[quick]["station_name"].startswith("Cụm loa ")
    times = {s: (d["to_received_s"], d["to_started_s"]) for s, d in by_station.items()}
    assert times == {
        quick: (1.5, 2.5),
        slow: (4.0, 6.0),
        heard: (3.0, None),
        silent: (None, None),
        gone: (2.0, None),
    }
    assert by_station[quick]["finished_at"] is not None
    assert not any(s["never_acknowledged"] for s in early["stations"])
    summary = early["summary"]
    assert (summary["identifier"], summary["msg_type"], summary["state"]) == (
        alert.identifier,
        "Alert",
        "issued",
    )
    counts = ("targeted", "received", "started", "never_acknowledged")
    assert [summary[c] for c in counts] == [5, 4, 2, 0]
    assert summary["to_received"] == {"median_s": 2.5, "p95_s": None, "max_s": 4.0}
    assert summary["to_started"] == {"median_s": 4.25, "p95_s": None, "max_s": 6.0}

    clock.advance(timedelta(seconds=50))  # past alert_ack_timeout_s (30 s) since the issue
    late = _get(client, world, clock, f"{REPORTS}/{alert.id}")
    assert [s["station_id"] for s in late["stations"] if s["never_acknowledged"]] == [silent]
    assert late["summary"]["never_acknowledged"] == 1


def test_the_list_holds_the_issued_alerts_of_the_scope_newest_first_within_from_to(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    make_station(world, "A")
    make_station(world, "B")
    first = make_alert(world, "A", issued=True)
    second = make_alert(world, "A", issued=True)
    make_alert(world, "A")  # pending: never issued, nothing delivered
    make_alert(world, "B", issued=True)  # another commune: outside the supervisor's scope
    make_cancel(world, first)  # ends the first; a Cancel delivers nothing of its own
    clock.current = _issued_at(second) + timedelta(minutes=1)

    listed = _get(client, world, clock, REPORTS)
    assert [a["id"] for a in listed["data"]] == [second.id, first.id]
    assert listed["count"] == 2
    ended = listed["data"][1]
    assert ended["state"] == "cancelled" and ended["ended_at"] is not None
    assert (ended["targeted"], ended["received"], ended["never_acknowledged"]) == (1, 0, 1)
    assert ended == _get(client, world, clock, f"{REPORTS}/{first.id}")["summary"]

    since = _issued_at(second).isoformat()
    newer = _get(client, world, clock, REPORTS, **{"from": since})
    assert [a["id"] for a in newer["data"]] == [second.id]
    older = _get(client, world, clock, REPORTS, to=since)
    assert [a["id"] for a in older["data"]] == [first.id]
    naive = client.get(
        REPORTS,
        params={"from": "2026-11-29T05:30:00"},
        headers=world.headers("supervisor_a", clock.now()),
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "from"
