"""An issued alert reaches its stations, on SQLite and PostgreSQL: in their manifests (so an
agent that missed the push catches up at its next poll), as a push on the event channel
carrying the alert itself, and back as acknowledgements that GET /api/v1/alerts/{id} shows.
A Cancel leaves the manifests and is pushed to the stations that held the alert."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from core.auth.models import Role
from stations.protocol import EVENTS_PATH, FILES_PATH, HEARTBEAT_PATH, MANIFEST_PATH, Manifest
from tests.conftest import make_settings
from tests.stations.fleet.factories import enrolled_station
from tests.stations.fleet.scenario import StoredAudio, keeper_for, schedule, stored_audio
from tests.world import World, now

BEAT = {"clock_offset_ms": 0, "agent_version": "0.1.0", "uptime_s": 1}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def duty(world: World) -> str:
    """The duty officer: operator and approver in commune A, so may issue at once."""
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    return "duty_a"


@pytest.fixture
def station(client: TestClient, world: World) -> tuple[int, str]:
    """A synced station in commune A: its id and token."""
    schedule(world, "A", stored_audio(world, "A", client.app.state.content.storage))
    station_id, token = enrolled_station(world, "A")
    keeper_for(world).tick()
    return station_id, token


@pytest.fixture
def storm(client: TestClient, world: World) -> StoredAudio:
    return stored_audio(world, "A", client.app.state.content.storage, size=50_000)


def _issue(client: TestClient, world: World, user: str, **fields: Any) -> dict[str, Any]:
    body = {
        "area_id": world.areas["A"],
        "target_area_ids": [world.areas["A"]],
        "event": "Bão",
        "headline": "Bão số 3: ở trong nhà",
        "expires": (now() + timedelta(hours=6)).isoformat(),
        "repeat": {"count": 2, "interval_s": 900},
        "issue_now": True,
    } | fields
    answer = client.post("/api/v1/alerts", json=body, headers=world.headers(user))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _cancel(client: TestClient, world: World, user: str, identifier: str) -> dict[str, Any]:
    return _issue(
        client,
        world,
        user,
        msg_type="Cancel",
        references=[identifier],
        target_area_ids=[],
        repeat=None,
    )


def test_the_manifest_carries_the_alert_until_it_is_cancelled(
    client: TestClient, world: World, duty: str, station: tuple[int, str], storm: StoredAudio
) -> None:
    _, token = station
    _, elsewhere = enrolled_station(world, "B")
    keeper_for(world).tick()
    before = client.get(MANIFEST_PATH, headers=_bearer(token))
    assert before.status_code == 200 and before.json()["alerts"] == []

    alert = _issue(client, world, duty, content_id=storm.content_id)

    stale = client.get(
        MANIFEST_PATH, headers=_bearer(token) | {"If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200, "an alert must change the ETag, or a poll misses it"
    manifest = Manifest.model_validate_json(stale.content)
    [held] = manifest.alerts
    assert (held.id, held.sha256, held.title, held.volume) == (
        alert["identifier"],
        storm.sha256,
        "Bão số 3: ở trong nhà",
        100,
    )
    assert held.repeat is not None and (held.repeat.count, held.repeat.interval_s) == (2, 900)
    assert storm.sha256 in manifest.file_hashes()
    tag = stale.headers["etag"]
    assert tag == manifest.etag() != before.headers["etag"]
    again = client.get(MANIFEST_PATH, headers=_bearer(token) | {"If-None-Match": tag})
    assert again.status_code == 304
    served = client.get(f"{FILES_PATH}/{storm.sha256}", headers=_bearer(token))
    assert served.status_code == 200 and served.content == storm.data
    beat = client.post(HEARTBEAT_PATH, json=BEAT, headers=_bearer(token))
    assert beat.json()["alerts_digest"] == manifest.alerts_digest
    other = client.get(MANIFEST_PATH, headers=_bearer(elsewhere)).json()
    assert other["alerts"] == [], "commune B is not a target"
    not_named = client.get(f"{FILES_PATH}/{storm.sha256}", headers=_bearer(elsewhere))
    assert not_named.status_code == 404

    _cancel(client, world, duty, alert["identifier"])

    after = client.get(MANIFEST_PATH, headers=_bearer(token) | {"If-None-Match": tag})
    assert after.status_code == 200 and after.json()["alerts"] == []


def test_a_push_carries_the_alert_and_the_acks_come_back_in_order(
    client: TestClient, world: World, duty: str, station: tuple[int, str], storm: StoredAudio
) -> None:
    station_id, token = station
    with client.websocket_connect(EVENTS_PATH, headers=_bearer(token)) as socket:
        greeting = socket.receive_json()
        assert greeting["type"] == "manifest" and "alerts_digest" in greeting
        alert = _issue(client, world, duty, content_id=storm.content_id)
        pushed = socket.receive_json()
        assert (pushed["type"], pushed["msg_type"], pushed["alert_id"]) == (
            "alert",
            "Alert",
            alert["identifier"],
        )
        assert pushed["alert"]["sha256"] == storm.sha256
        assert storm.sha256 in {f["sha256"] for f in pushed["files"]}
        received = now()
        for stage, at in (("received", received), ("started", received + timedelta(seconds=1))):
            socket.send_json(
                {
                    "type": "ack",
                    "alert_id": alert["identifier"],
                    "stage": stage,
                    "at": at.isoformat(),
                }
            )
        # Sent again after a reconnection, later: the first time stays.
        later = received + timedelta(seconds=30)
        socket.send_json(
            {
                "type": "ack",
                "alert_id": alert["identifier"],
                "stage": "received",
                "at": later.isoformat(),
            }
        )
        socket.send_json({"type": "nonsense"})  # ignored, the channel stays open
        _cancel(client, world, duty, alert["identifier"])
        cancelled = socket.receive_json()
    assert (cancelled["msg_type"], cancelled["references"]) == ("Cancel", [alert["identifier"]])
    assert "alert" not in cancelled
    delivery = _delivery_reaching(client, world, alert["id"], station_id, "started")
    assert delivery["stage"] == "started" and not delivery["unacknowledged"]
    assert _close(delivery["received_at"], received) and delivery["finished_at"] is None


def test_test_alerts_reach_every_target_but_play_only_where_the_station_allows(
    client: TestClient, world: World, duty: str, station: tuple[int, str], storm: StoredAudio
) -> None:
    station_id, token = station
    _issue(client, world, duty, content_id=storm.content_id, status="Exercise")
    first = client.get(MANIFEST_PATH, headers=_bearer(token))
    assert [a["status"] for a in first.json()["alerts"]] == ["Exercise"]
    assert first.json()["plays_test_alerts"] is False
    changed = client.patch(
        f"/api/v1/stations/{station_id}",
        json={"plays_test_alerts": True},
        headers=world.headers("admin_a"),
    )
    assert changed.status_code == 200 and changed.json()["plays_test_alerts"] is True
    second = client.get(
        MANIFEST_PATH, headers=_bearer(token) | {"If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200 and second.json()["plays_test_alerts"] is True


def _delivery_reaching(
    client: TestClient, world: World, alert_id: int, station_id: int, stage: str
) -> dict[str, Any]:
    """The station's delivery once it shows `stage`: the server reads the acks and writes
    them a batch at a time, both apart from the test's thread."""
    deadline = time.monotonic() + 10
    while True:
        client.app.state.acks.flush()  # type: ignore[attr-defined]
        shown = client.get(f"/api/v1/alerts/{alert_id}", headers=world.headers("supervisor_a"))
        [delivery] = [d for d in shown.json()["deliveries"] if d["station_id"] == station_id]
        if delivery["stage"] == stage or time.monotonic() > deadline:
            return dict(delivery)
        time.sleep(0.02)


def _close(text: str, moment: Any) -> bool:
    from datetime import datetime

    return abs((datetime.fromisoformat(text) - moment).total_seconds()) < 0.01


def test_the_chime_is_in_every_manifest_before_any_alert_and_then_in_each_alert(
    world: World, tmp_path: Path, duty: str
) -> None:
    settings = make_settings(world.database.url, tmp_path, alert_chime="default")
    app = create_app(settings)
    with TestClient(app) as client:
        storage = app.state.content.storage
        schedule(world, "A", stored_audio(world, "A", storage))
        _, token = enrolled_station(world, "A")
        keeper_for(world).tick()
        quiet = Manifest.model_validate_json(
            client.get(MANIFEST_PATH, headers=_bearer(token)).content
        )
        assert quiet.alerts == []
        [chime] = quiet.file_hashes() - {i.sha256 for i in quiet.items}
        assert storage.exists(chime)
        storm = stored_audio(world, "A", storage, size=50_000)
        _issue(client, world, duty, content_id=storm.content_id)
        manifest = Manifest.model_validate_json(
            client.get(MANIFEST_PATH, headers=_bearer(token)).content
        )
        [alert] = manifest.alerts
        assert alert.chime_sha256 == chime and 2.0 < alert.chime_duration_s < 3.0
    app.state.database.dispose()


def _manifest(client: TestClient, token: str) -> Manifest:
    return Manifest.model_validate_json(client.get(MANIFEST_PATH, headers=_bearer(token)).content)


def test_an_update_is_pushed_with_what_it_replaces_and_takes_its_place_in_the_manifest(
    client: TestClient, world: World, duty: str, station: tuple[int, str], storm: StoredAudio
) -> None:
    _, token = station
    first = _issue(client, world, duty, content_id=storm.content_id)
    worse = stored_audio(world, "A", client.app.state.content.storage, size=40_000)
    with client.websocket_connect(EVENTS_PATH, headers=_bearer(token)) as socket:
        socket.receive_json()  # the greeting
        update = _issue(
            client,
            world,
            duty,
            content_id=worse.content_id,
            msg_type="Update",
            references=[first["identifier"]],
            headline="Bão số 3 mạnh thêm: cấp 12",
        )
        pushed = socket.receive_json()
    assert (pushed["msg_type"], pushed["alert_id"], pushed["references"]) == (
        "Update",
        update["identifier"],
        [first["identifier"]],
    )
    assert pushed["alert"]["replaces"] == [first["identifier"]]
    assert pushed["alert"]["sha256"] == worse.sha256
    manifest = _manifest(client, token)
    assert [(a.id, a.replaces) for a in manifest.alerts] == [
        (update["identifier"], [first["identifier"]])
    ]
    assert storm.sha256 not in manifest.file_hashes()
