"""The station token, kept in the data directory readable by the agent's user alone."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stations.agent.files import fsync_dir, write_atomic

TOKEN_FILE = "station.json"
# A revoked token's file, renamed: kept for whoever looks into it, never loaded again.
REVOKED_FILE = "station.revoked-{at}.json"


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


def set_aside(data_dir: Path, now: datetime) -> Path | None:
    """The server revoked the token: move its file aside, so no start of the agent uses it
    again (`load` finds nothing, and the agent asks to be enrolled). Returns where it went,
    or None when there was no file."""
    path = data_dir / TOKEN_FILE
    target = data_dir / REVOKED_FILE.format(at=now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    fsync_dir(data_dir)
    return target
