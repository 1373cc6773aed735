"""Uploads made in the background (POST /content/uploads): the job says how far it is, ends
with the item /upload would have made or with the refusal, stays in its area's scope, and
a server that stopped mid-way leaves neither a job "running" nor a file behind."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import create_app
from core.auth.models import Role
from core.config import Settings
from core.db import Database
from playlists.content.jobs import RESTARTED, STALE_AFTER, IngestJob, JobState
from tests.audio.sounds import tone
from tests.playlists.content.factories import unfinished_job
from tests.world import World

WAIT_S = 120


def _start(client: TestClient, world: World, path: Path, user: str = "operator_a", **fields: str):  # type: ignore[no-untyped-def]
    data = {"title": "Bản tin chiều", "area_id": str(world.areas["A"])} | fields
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/content/uploads",
            data=data,
            files={"file": (path.name, handle, "application/octet-stream")},
            headers=world.headers(user),
        )


def _finished(client: TestClient, world: World, job_id: int) -> dict[str, Any]:
    assert client.app.state.uploads.wait(WAIT_S)  # type: ignore[attr-defined]
    answer = client.get(f"/api/v1/content/uploads/{job_id}", headers=world.headers("operator_a"))
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_an_upload_becomes_an_item_in_the_background(
    client: TestClient, world: World, data_dir: Path, tmp_path: Path
) -> None:
    source = tone(tmp_path / "chieu.mp3", seconds=6, level_db=-30)
    answer = _start(client, world, source, tier="priority", category="thông báo")
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["state"] in {"queued", "running", "done"}
    assert started["title"] == "Bản tin chiều" and started["area_id"] == world.areas["A"]
    assert started["created_by"] == world.users["operator_a"]
    assert started["original_filename"] == "chieu.mp3"
    assert started["size_bytes"] == source.stat().st_size

    job = _finished(client, world, started["id"])
    assert job["state"] == "done" and job["step"] == "done" and job["fraction"] == 1.0
    assert job["message"] is None and job["finished_at"] is not None
    item = client.get(
        f"/api/v1/content/{job['item_id']}", headers=world.headers("supervisor_a")
    ).json()
    assert item["kind"] == "audio" and item["status"] == "draft"
    assert item["tier"] == "priority" and item["category"] == "thông báo"
    assert item["original_filename"] == "chieu.mp3"
    assert item["duration_s"] == pytest.approx(6.0, rel=0.05)
    assert item["loudness_after_lufs"] == pytest.approx(-16.0, abs=1.0)
    assert (data_dir / "content" / item["sha256"][:2] / f"{item['sha256']}.opus").exists()
    audit = client.get(
        f"/api/v1/audit?action=content.create&object_type=content&object_id={item['id']}",
        headers=world.headers("supervisor_a"),
    )
    assert audit.status_code == 200, audit.text
    assert [e["actor_id"] for e in audit.json()["data"]] == [world.users["operator_a"]]
    assert _files(data_dir / "tmp") == set()  # the upload and the work folder are gone


def test_junk_fails_with_the_refusal_and_leaves_nothing(
    client: TestClient, world: World, database: Database, data_dir: Path, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.mp3"
    junk.write_text("biên bản họp thôn, không phải âm thanh")
    files_before, items_before = _files(data_dir), _count(database, "content_item")
    answer = _start(client, world, junk)
    assert answer.status_code == 202, answer.text
    job = _finished(client, world, answer.json()["id"])
    assert job["state"] == "failed" and job["item_id"] is None
    assert "not an audio file" in job["message"]
    assert _count(database, "content_item") == items_before
    assert _files(data_dir) == files_before


def test_the_form_is_checked_before_anything_is_kept(
    client: TestClient, world: World, data_dir: Path, database: Database, tmp_path: Path
) -> None:
    source = tone(tmp_path / "a.wav", seconds=2)
    answer = _start(client, world, source, title="", tier="urgent")
    assert answer.status_code == 422, answer.text
    assert {e["field"] for e in answer.json()["errors"]} == {"title", "tier"}
    assert _count(database, "ingest_job") == 0
    assert not (data_dir / "tmp" / "uploads").exists() or _files(data_dir / "tmp") == set()


def test_uploads_stay_in_their_area(client: TestClient, world: World, tmp_path: Path) -> None:
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    world.add_user("supervisor_b", area="B", roles={Role.supervisor: "B"})
    source = tone(tmp_path / "a.wav", seconds=2)
    refused = _start(client, world, source, user="operator_b")  # into commune A
    assert refused.status_code == 403, refused.text
    assert "outside your roles' scope" in refused.json()["detail"]

    job_id = _start(client, world, source).json()["id"]
    assert client.app.state.uploads.wait(WAIT_S)  # type: ignore[attr-defined]
    url = f"/api/v1/content/uploads/{job_id}"
    for other in ("operator_b", "supervisor_b"):
        answer = client.get(url, headers=world.headers(other))
        assert answer.status_code == 403, answer.text
    assert client.get(url, headers=world.headers("approver_a")).status_code == 200
    missing = client.get("/api/v1/content/uploads/999999", headers=world.headers("operator_a"))
    assert missing.status_code == 404


def _state(world: World, job_id: int) -> tuple[JobState, str | None]:
    with world.database.session() as session:
        job = session.get(IngestJob, job_id)
        assert job is not None
        return job.state, job.message


def test_a_restart_fails_the_jobs_it_cut_short_and_removes_their_files(
    settings: Settings, world: World
) -> None:
    stale = unfinished_job(world, state=JobState.running, beat_ago=STALE_AFTER * 2)
    queued = unfinished_job(world, state=JobState.queued, beat_ago=STALE_AFTER * 3)
    # A job another process is running right now (PostgreSQL; SQLite has one process).
    alive = unfinished_job(world, state=JobState.running, beat_ago=timedelta(seconds=1))
    folder = settings.data_dir / "tmp" / "uploads"
    folder.mkdir(parents=True)
    for job_id in (stale, queued, alive, 424242):  # 424242: a file no job holds
        (folder / f"job-{job_id}").write_bytes(b"half an upload")

    app: FastAPI = create_app(settings)
    with TestClient(app):
        for job_id in (stale, queued):
            assert _state(world, job_id) == (JobState.failed, RESTARTED)
            assert not (folder / f"job-{job_id}").exists()
        assert not (folder / "job-424242").exists()
        if world.database.is_sqlite:
            assert _state(world, alive) == (JobState.failed, RESTARTED)
            assert not (folder / f"job-{alive}").exists()
        else:
            assert _state(world, alive) == (JobState.running, None)
            assert (folder / f"job-{alive}").exists()
    app.state.database.dispose()


def test_a_job_whose_process_died_is_failed_when_read(client: TestClient, world: World) -> None:
    job_id = unfinished_job(world, state=JobState.running, beat_ago=STALE_AFTER * 2)
    answer = client.get(f"/api/v1/content/uploads/{job_id}", headers=world.headers("operator_a"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "failed" and answer.json()["message"] == RESTARTED


def test_a_stop_finishes_the_running_jobs_and_fails_the_queued_ones(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    source = tone(tmp_path / "a.mp3", seconds=20)
    app: FastAPI = create_app(settings)
    with TestClient(app) as client:
        answers = [_start(client, world, source) for _ in range(4)]
        assert [a.status_code for a in answers] == [202] * 4, answers[0].text
        started = [a.json()["id"] for a in answers]
    # Two run at once: the last ones may still have been queued at the stop.
    ends = {_state(world, job_id) for job_id in started}
    assert ends <= {(JobState.done, None), (JobState.failed, RESTARTED)}, ends
    assert _files(settings.data_dir / "tmp") == set()
    app.state.database.dispose()
