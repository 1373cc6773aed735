"""Uploading audio through the API: stored normalised, served back with Range support,
and bad audio refused with nothing left behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.db import Database
from tests.audio.sounds import corrupted, duration, measure, silence, tone, truncated
from tests.world import World


def _upload(client: TestClient, world: World, path: Path, **fields: str) -> object:
    data = {"title": "Bản tin sáng", "area_id": str(world.areas["A"]), "language": "vi"} | fields
    with path.open("rb") as handle:
        return client.post(
            "/api/v1/content/upload",
            data=data,
            files={"file": (path.name, handle, "application/octet-stream")},
            headers=world.headers("operator_a"),
        )


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "wav"])
def test_upload_is_stored_normalised(
    client: TestClient, world: World, data_dir: Path, tmp_path: Path, fmt: str
) -> None:
    source = tone(tmp_path / f"morning.{fmt}", seconds=5, level_db=-32)
    response = _upload(client, world, source)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    item = response.json()  # type: ignore[attr-defined]
    assert item["status"] == "draft" and item["kind"] == "audio"
    assert item["original_filename"] == f"morning.{fmt}"
    stored = data_dir / "content" / item["sha256"][:2] / f"{item['sha256']}.opus"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == item["sha256"]
    integrated, _ = measure(stored)
    assert integrated == pytest.approx(-16.0, abs=1.0)
    assert item["loudness_before_lufs"] < -25
    assert duration(stored) == pytest.approx(5.0, rel=0.02)
    assert item["duration_s"] == pytest.approx(5.0, rel=0.02)
    assert list((data_dir / "tmp").iterdir()) == []


def test_audio_is_served_with_ranges(client: TestClient, world: World, tmp_path: Path) -> None:
    item = _upload(client, world, tone(tmp_path / "a.wav", seconds=3)).json()  # type: ignore[attr-defined]
    headers = world.headers("supervisor_a")
    whole = client.get(f"/api/v1/content/{item['id']}/audio", headers=headers)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/webm"
    assert hashlib.sha256(whole.content).hexdigest() == item["sha256"]
    part = client.get(
        f"/api/v1/content/{item['id']}/audio", headers=headers | {"Range": "bytes=100-199"}
    )
    assert part.status_code == 206
    assert part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _rows(database: Database) -> tuple[int, int]:
    with database.engine.connect() as connection:
        return (
            connection.execute(text("SELECT COUNT(*) FROM content_item")).scalar_one(),
            connection.execute(text("SELECT COUNT(*) FROM audit_event")).scalar_one(),
        )


BAD = {
    "not-audio": (
        lambda d: (d / "notes.txt").write_text("biên bản họp") and d / "notes.txt",
        422,
        "not an audio file",
    ),
    "zero-length": (lambda d: (d / "empty.mp3").write_bytes(b"") or d / "empty.mp3", 422, "empty"),
    "silent": (lambda d: silence(d / "quiet.wav", seconds=4), 422, "silent"),
    "truncated": (lambda d: truncated(d / "cut.wav", seconds=20), 422, "cut short"),
    "corrupt": (lambda d: corrupted(d / "broken.mp3"), 422, "damaged"),
    "too-long": (lambda d: tone(d / "long.mp3", seconds=75), 422, "limit is 1.0 minutes"),
    "too-big": (lambda d: tone(d / "big.wav", seconds=40, rate=48000), 413, "too large"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_audio_is_refused_and_leaves_nothing(
    client: TestClient,
    world: World,
    database: Database,
    data_dir: Path,
    tmp_path: Path,
    case: str,
) -> None:
    make, status, says = BAD[case]
    source = make(tmp_path)
    files_before, rows_before = _files(data_dir), _rows(database)
    response = _upload(client, world, source)
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert says in response.json()["detail"]  # type: ignore[attr-defined]
    assert _files(data_dir) == files_before
    assert _rows(database) == rows_before
