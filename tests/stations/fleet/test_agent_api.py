"""Agent protocol v1 against the app in-process, on SQLite and PostgreSQL: enrolment,
manifest and its ETag, files with ranges, as-run stored once, heartbeats and status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from api import create_app
from core.config import Settings
from stations.fleet.models import AsRun, StationAgent, StationEnrollment
from stations.protocol import Manifest, etag
from tests.clock import SettableClock
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrol, enrollment_code, record
from tests.stations.fleet.scenario import keeper_for, schedule, stored_audio
from tests.world import World, now


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _enroll_body(code: str) -> dict[str, str]:
    return {"code": code, "hardware_id": "pi-ab12", "agent_version": "0.1.0"}


def test_admin_code_enrols_once_and_the_server_keeps_only_a_hash(
    client: TestClient, world: World
) -> None:
    station = make_station(world, "A")
    answer = client.post(
        f"/api/v1/stations/{station}/enrollment-code", headers=world.headers("admin_a")
    )
    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    expires = answer.json()["expires_at"]
    assert (
        abs(
            (client.app.state.clock.now() + timedelta(hours=24)).timestamp()
            - __import__("datetime").datetime.fromisoformat(expires).timestamp()
        )
        < 60
    )
    enrolled = client.post("/agent/v1/enroll", json=_enroll_body(code.lower().replace("-", " ")))
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["station_id"] == station
    token = enrolled.json()["token"]
    again = client.post("/agent/v1/enroll", json=_enroll_body(code))
    assert again.status_code == 403 and "already used" in again.json()["detail"]
    with world.database.session() as session:
        agent = session.get(StationAgent, station)
        assert agent is not None and agent.token_hash not in (None, token)
        codes = session.exec(select(StationEnrollment.code_hash)).all()
        assert code not in codes and all(len(c) == 64 for c in codes)


def test_expired_and_superseded_codes_are_refused(client: TestClient, world: World) -> None:
    station = make_station(world, "A")
    old = enrollment_code(world, station, at=now() - timedelta(hours=25))
    assert client.post("/agent/v1/enroll", json=_enroll_body(old)).status_code == 403
    first = enrollment_code(world, station)
    second = enrollment_code(world, station)
    assert client.post("/agent/v1/enroll", json=_enroll_body(first)).status_code == 403
    assert client.post("/agent/v1/enroll", json=_enroll_body(second)).status_code == 201


def test_manifest_200_then_304_and_a_new_version_after_a_change(
    client: TestClient, world: World
) -> None:
    storage = client.app.state.content.storage
    audio = stored_audio(world, "A", storage)
    schedule(world, "A", audio)
    station = make_station(world, "A")
    token = enrol(world, station)
    keeper = keeper_for(world)
    keeper.tick()
    first = client.get("/agent/v1/manifest", headers=_bearer(token))
    assert first.status_code == 200, first.text
    manifest = Manifest.model_validate_json(first.content)
    assert first.headers["etag"] == manifest.etag() == etag(manifest.version, manifest.build_id)
    assert manifest.station_id == station and len(manifest.items) == 7  # one a day
    assert {f.sha256 for f in manifest.files} == {audio.sha256}
    assert manifest.files[0].size == len(audio.data)
    assert all(i.kind == "file" and i.sha256 == audio.sha256 for i in manifest.items)
    assert len(manifest.volume_plan) == 7 and manifest.volume_plan[0].volume == 80
    unchanged = client.get(
        "/agent/v1/manifest", headers={**_bearer(token), "If-None-Match": first.headers["etag"]}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    other = stored_audio(world, "A", storage)
    schedule(world, "A", other)
    keeper.tick()  # a keeper outside this app, as another process's would be
    # The app hears of it by the change log (station_changes_s) or, on PostgreSQL, at once
    # by NOTIFY: the poll that follows gets the new build.
    client.app.state.directory.catch_up()
    changed = client.get(
        "/agent/v1/manifest", headers={**_bearer(token), "If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200
    assert Manifest.model_validate_json(changed.content).version == manifest.version + 1


def test_manifest_before_any_build_says_to_retry(client: TestClient, world: World) -> None:
    token = enrol(world, make_station(world, "A"))
    answer = client.get("/agent/v1/manifest", headers=_bearer(token))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"


def test_file_download_whole_and_resumed(client: TestClient, world: World) -> None:
    audio = stored_audio(world, "A", client.app.state.content.storage)
    schedule(world, "A", audio)
    token = enrol(world, make_station(world, "A"))
    keeper_for(world).tick()
    url = f"/agent/v1/files/{audio.sha256}"
    whole = client.get(url, headers=_bearer(token))
    assert whole.status_code == 200 and whole.content == audio.data
    assert whole.headers["etag"] == f'"{audio.sha256}"'
    resumed = client.get(
        url,
        headers={**_bearer(token), "Range": "bytes=1000-", "If-Range": f'"{audio.sha256}"'},
    )
    assert resumed.status_code == 206 and resumed.content == audio.data[1000:]
    stale = client.get(url, headers={**_bearer(token), "Range": "bytes=1000-", "If-Range": '"x"'})
    assert stale.status_code == 200 and stale.content == audio.data


def test_behind_nginx_a_file_is_an_x_accel_redirect_to_its_stored_path(
    world: World, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"files_accel_redirect": "/_loaxa_files/"}))
    with TestClient(app) as client:
        audio = stored_audio(world, "A", client.app.state.content.storage)
        schedule(world, "A", audio)
        token = enrol(world, make_station(world, "A"))
        keeper_for(world).tick()
        sha = audio.sha256
        answer = client.get(f"/agent/v1/files/{sha}", headers=_bearer(token))
        unnamed = client.get(f"/agent/v1/files/{'0' * 64}", headers=_bearer(token))
    app.state.database.dispose()
    assert answer.status_code == 200 and answer.content == b""  # nginx sends the bytes
    assert answer.headers["x-accel-redirect"] == f"/_loaxa_files/{sha[:2]}/{sha}.opus"
    assert answer.headers["etag"] == f'"{sha}"'
    assert unnamed.status_code == 404 and "x-accel-redirect" not in unnamed.headers


def test_asrun_is_stored_once_whatever_the_retries(client: TestClient, world: World) -> None:
    token = enrol(world, make_station(world, "A"))
    records = [record() for _ in range(3)]
    body = [r.model_dump(mode="json") for r in records]
    first = client.post("/agent/v1/asrun", json=body, headers=_bearer(token))
    assert first.status_code == 200 and first.json() == {"accepted": 3, "duplicates": 0}
    retry = client.post("/agent/v1/asrun", json=body + body[:1], headers=_bearer(token))
    assert retry.json() == {"accepted": 0, "duplicates": 4}
    with world.database.session() as session:
        ids = {str(r.id) for r in records}
        stored = session.exec(select(func.count()).select_from(AsRun)).one()
        assert stored == 3
        assert set(session.exec(select(AsRun.id)).all()) == ids


def test_asrun_is_read_in_scope_with_filters_newest_first(client: TestClient, world: World) -> None:
    station_a = make_station(world, "A")
    token_a = enrol(world, station_a)
    token_b = enrol(world, make_station(world, "B"))
    base = now()
    played = [
        record(
            started_at=base + timedelta(minutes=i), ended_at=base + timedelta(minutes=i, seconds=5)
        )
        for i in range(3)
    ]
    skipped = record(
        result="skipped",
        started_at=None,
        ended_at=None,
        planned_start=base - timedelta(minutes=1),
        error="file not verified",
    )
    client.post(
        "/agent/v1/asrun",
        json=[r.model_dump(mode="json") for r in [*played, skipped]],
        headers=_bearer(token_a),
    )
    client.post(
        "/agent/v1/asrun", json=[record().model_dump(mode="json")], headers=_bearer(token_b)
    )
    listed = client.get("/api/v1/asrun", headers=world.headers("supervisor_a"))
    assert listed.status_code == 200
    rows = listed.json()["data"]
    assert [r["id"] for r in rows] == [str(r.id) for r in reversed(played)] + [str(skipped.id)]
    assert {r["station_id"] for r in rows} == {station_a}
    only_skipped = client.get("/api/v1/asrun?result=skipped", headers=world.headers("supervisor_a"))
    assert [r["error"] for r in only_skipped.json()["data"]] == ["file not verified"]
    window = client.get(
        "/api/v1/asrun",
        params={
            "from": (base + timedelta(minutes=1)).isoformat(),
            "to": (base + timedelta(minutes=2)).isoformat(),
        },
        headers=world.headers("supervisor_a"),
    )
    assert [r["id"] for r in window.json()["data"]] == [str(played[1].id)]
    naive = client.get(
        "/api/v1/asrun?from=2026-11-29T05:30:00", headers=world.headers("supervisor_a")
    )
    assert naive.status_code == 422 and "time zone" in naive.text


def test_heartbeat_makes_a_station_online_and_silence_offline(
    client: TestClient, world: World
) -> None:
    station = make_station(world, "A")
    token = enrol(world, station)
    clock = SettableClock(now())
    client.app.state.clock = clock
    headers = world.headers("supervisor_a", at=clock.now())
    assert client.get(f"/api/v1/stations/{station}", headers=headers).json()["status"] == "offline"
    beat = {
        "manifest_version": 4,
        "now_playing": {"item_id": "7@20261129T223000Z", "content_id": 9, "title": "Bản tin"},
        "clock_offset_ms": -1250,
        "disk_free_bytes": 10**9,
        "cpu_temp_c": 51.5,
        "volume": 80,
        "agent_version": "0.1.0",
        "uptime_s": 3600,
        "last_error": None,
    }
    reply = client.post("/agent/v1/heartbeat", json=beat, headers=_bearer(token))
    assert reply.status_code == 200, reply.text
    assert reply.json()["manifest_version"] is None  # nothing built yet
    assert client.app.state.heartbeats.flush() == 1  # the app does this every second
    shown = client.get(f"/api/v1/stations/{station}", headers=headers).json()
    assert shown["status"] == "online"
    assert shown["manifest_version"] == 4 and shown["clock_offset_ms"] == -1250
    assert shown["now_playing"]["title"] == "Bản tin"
    clock.advance(timedelta(seconds=181))  # three heartbeats missed
    later = world.headers("supervisor_a", at=clock.now())
    listed = client.get("/api/v1/stations", params={"area_id": world.areas["A"]}, headers=later)
    assert {s["id"]: s["status"] for s in listed.json()["data"]}[station] == "offline"


def test_the_manifest_fetched_is_the_stations_version_before_its_next_heartbeat(
    client: TestClient, world: World
) -> None:
    schedule(world, "A", stored_audio(world, "A", client.app.state.content.storage))
    station = make_station(world, "A")
    token = enrol(world, station)
    keeper_for(world).tick()
    fetched = client.get("/agent/v1/manifest", headers=_bearer(token))
    version = Manifest.model_validate_json(fetched.content).version
    heartbeats = client.app.state.heartbeats
    heartbeats.flush()  # the app does this every second
    headers = world.headers("supervisor_a")
    shown = client.get(f"/api/v1/stations/{station}", headers=headers).json()
    assert shown["manifest_version"] == version
    beat = {"manifest_version": version - 1, "clock_offset_ms": 0, "agent_version": "0.1.0"}
    sent_before = client.post(  # sent before the fetch, read after it
        "/agent/v1/heartbeat", json={**beat, "uptime_s": 5}, headers=_bearer(token)
    )
    assert sent_before.status_code == 200
    heartbeats.flush()
    shown = client.get(f"/api/v1/stations/{station}", headers=headers).json()
    assert shown["manifest_version"] == version and shown["status"] == "online"


@pytest.mark.parametrize(
    "body",
    [
        {"clock_offset_ms": 0, "agent_version": "x", "uptime_s": 1, "serial": "1"},
        {"clock_offset_ms": 0, "agent_version": "x", "uptime_s": -1},
        {"clock_offset_ms": 0, "agent_version": "x", "uptime_s": 1, "volume": 101},
    ],
)
def test_bad_heartbeats_are_refused(
    client: TestClient, world: World, body: dict[str, object]
) -> None:
    token = enrol(world, make_station(world, "A"))
    assert client.post("/agent/v1/heartbeat", json=body, headers=_bearer(token)).status_code == 422


def test_bad_asrun_is_refused_whole(client: TestClient, world: World) -> None:
    token = enrol(world, make_station(world, "A"))
    good = record().model_dump(mode="json")
    bad = {**record().model_dump(mode="json"), "result": "played", "ended_at": None}
    answer = client.post("/agent/v1/asrun", json=[good, bad], headers=_bearer(token))
    assert answer.status_code == 422 and "ended_at" in answer.text
    too_many = [record().model_dump(mode="json") for _ in range(501)]
    assert client.post("/agent/v1/asrun", json=too_many, headers=_bearer(token)).status_code == 422
    assert client.post("/agent/v1/asrun", json=[], headers=_bearer(token)).status_code == 422
    with world.database.session() as session:  # the good one was not stored either
        assert session.exec(select(func.count()).select_from(AsRun)).one() == 0


def test_the_etag_names_the_build_not_only_its_version(client: TestClient, world: World) -> None:
    storage = client.app.state.content.storage
    schedule(world, "A", stored_audio(world, "A", storage))
    schedule(world, "B", stored_audio(world, "B", storage))
    token_a, token_b = (
        enrol(world, make_station(world, "A")),
        enrol(world, make_station(world, "B")),
    )
    keeper_for(world).tick()
    first_a = client.get("/agent/v1/manifest", headers=_bearer(token_a))
    first_b = client.get("/agent/v1/manifest", headers=_bearer(token_b))
    a, b = (Manifest.model_validate_json(r.content) for r in (first_a, first_b))
    assert a.version == b.version == 1 and a.build_id != b.build_id
    # A's ETag is no good for B, although the version numbers are the same.
    crossed = client.get(
        "/agent/v1/manifest", headers={**_bearer(token_b), "If-None-Match": first_a.headers["etag"]}
    )
    assert crossed.status_code == 200
