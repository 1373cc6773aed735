"""A manifest that fails validation is refused and the previous one kept; the saved one
comes back after a restart; another station's manifest is never used."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stations.agent.manifest_store import ManifestRefused, ManifestStore

SHA = "ab" * 32
T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)


def _manifest(version: int, station_id: int = 7, **changes: Any) -> bytes:
    body: dict[str, Any] = {
        "station_id": station_id,
        "version": version,
        "generated_at": T0.isoformat(),
        "server_time": T0.isoformat(),
        "timezone": "Asia/Ho_Chi_Minh",
        "horizon_until": (T0 + timedelta(days=7)).isoformat(),
        "volume_plan": [
            {"from": T0.isoformat(), "to": (T0 + timedelta(minutes=30)).isoformat(), "volume": 80}
        ],
        "items": [
            {
                "id": "1@20261129T053000Z",
                "kind": "file",
                "content_id": 1,
                "sha256": SHA,
                "url": f"/agent/v1/files/{SHA}",
                "start": T0.isoformat(),
                "duration_s": 30.0,
                "timing": "soft",
                "tier": "normal",
                "volume": 80,
                "title": "Bản tin",
            }
        ],
        "alerts": [],
        "files": [{"sha256": SHA, "size": 1000, "url": f"/agent/v1/files/{SHA}"}],
    }
    body.update(changes)
    return json.dumps(body).encode()


def test_a_good_manifest_is_saved_and_back_after_a_restart(tmp_path: Path) -> None:
    store = ManifestStore(tmp_path, 7)
    store.accept(_manifest(3))
    again = ManifestStore(tmp_path, 7)
    assert again.current is not None and again.current.version == 3
    assert (tmp_path / "manifest.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "bad",
    [
        b"{not json",
        _manifest(4, files=[]),  # an item's file is not listed
        _manifest(4, items=[{"id": "x"}]),
        _manifest(4, station_id=8),  # someone else's
        _manifest(
            4,
            volume_plan=[
                {"from": "2026-11-29T05:30:00", "to": "2026-11-29T06:00:00", "volume": 80}
            ],
        ),  # naive
    ],
    ids=["not-json", "unlisted-file", "broken-item", "other-station", "naive-time"],
)
def test_a_bad_manifest_is_refused_and_the_previous_kept(tmp_path: Path, bad: bytes) -> None:
    store = ManifestStore(tmp_path, 7)
    store.accept(_manifest(3))
    with pytest.raises(ManifestRefused):
        store.accept(bad)
    assert store.current is not None and store.current.version == 3
    assert ManifestStore(tmp_path, 7).current.version == 3  # type: ignore[union-attr]


def test_a_saved_manifest_of_another_station_is_ignored(tmp_path: Path) -> None:
    ManifestStore(tmp_path, 7).accept(_manifest(3))
    assert ManifestStore(tmp_path, 9).current is None
