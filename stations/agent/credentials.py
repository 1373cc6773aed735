"""The station token, kept in the data directory readable by the agent's user alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from stations.agent.files import write_atomic

TOKEN_FILE = "station.json"


@dataclass(frozen=True, slots=True)
class Credentials:
    station_id: int
    token: str


def load(data_dir: Path) -> Credentials | None:
    path = data_dir / TOKEN_FILE
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    return Credentials(station_id=int(saved["station_id"]), token=str(saved["token"]))


def save(data_dir: Path, credentials: Credentials) -> None:
    body = {"station_id": credentials.station_id, "token": credentials.token}
    write_atomic(data_dir / TOKEN_FILE, json.dumps(body).encode(), mode=0o600)
