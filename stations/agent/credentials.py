"""The station token, kept in the data directory readable by the agent's user alone."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from stations.agent.files import fsync_dir, write_atomic

TOKEN_FILE = "station.json"
# The station's MQTT sign-in, and the topics it last subscribed to (a change of them starts
# the broker session afresh, so no subscription of an area left behind outlives it).
PUSH_FILE = "push.json"
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


@dataclass(frozen=True, slots=True)
class PushLogin:
    username: str
    password: str
    topics: tuple[str, ...] = ()


def load_push(data_dir: Path) -> PushLogin | None:
    try:
        saved = json.loads((data_dir / PUSH_FILE).read_text())
        return PushLogin(
            str(saved["username"]), str(saved["password"]), tuple(saved.get("topics", ()))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or unreadable: the agent asks the server for new ones


def save_push(data_dir: Path, login: PushLogin | None) -> None:
    if login is None:
        (data_dir / PUSH_FILE).unlink(missing_ok=True)
        return
    body = {"username": login.username, "password": login.password, "topics": login.topics}
    write_atomic(data_dir / PUSH_FILE, json.dumps(body).encode(), mode=0o600)


def set_aside(data_dir: Path, now: datetime) -> Path | None:
    """The server revoked the token: move its file aside, so no start of the agent uses it
    again (`load` finds nothing, and the agent asks to be enrolled). Returns where it went,
    or None when there was no file."""
    (data_dir / PUSH_FILE).unlink(missing_ok=True)
    path = data_dir / TOKEN_FILE
    target = data_dir / REVOKED_FILE.format(at=now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    fsync_dir(data_dir)
    return target
