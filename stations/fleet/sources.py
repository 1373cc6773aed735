"""What the agent routes need from the playlists and alerts sides, as interfaces: the app
wires in the implementations (playlists/timelines/manifest.py, alerts/board.py,
alerts/acks.py), so stations/ never imports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from sqlmodel import Session

from core.db import Database
from stations.fleet.auth import StationIdentity
from stations.protocol import Manifest, ManifestAlert, ManifestFile, Stage, etag


@dataclass(frozen=True, slots=True)
class BuildRef:
    """Which build of a station's manifest is current."""

    version: int
    build_id: str

    def etag(self, alerts_tag: str = "") -> str:
        return etag(self.version, self.build_id, alerts_tag)


class Caller(NamedTuple):
    """The station a token belongs to, its current build (None: none yet), and whether it
    plays Test and Exercise alerts."""

    station: StationIdentity
    build: BuildRef | None
    plays_test_alerts: bool = False


@dataclass(frozen=True, slots=True)
class StationAlerts:
    """The alerts on the air at one station, the files they need (the attention chime's
    too, so it is cached before any alert), and a digest naming all of it."""

    alerts: tuple[ManifestAlert, ...] = ()
    files: tuple[ManifestFile, ...] = ()
    digest: str = ""

    def tag(self, *, plays_test_alerts: bool) -> str:
        """The manifest's alerts part: changes with the alerts and the station's setting."""
        if not self.digest and not plays_test_alerts:
            return ""
        return f"{self.digest}{'t' if plays_test_alerts else ''}"

    def file_hashes(self) -> frozenset[str]:
        return frozenset(f.sha256 for f in self.files)


class AlertSource(Protocol):
    def for_station(self, station_id: int, now: datetime) -> StationAlerts:
        """The station's alerts on the air at `now`: from memory, for the hot paths."""
        ...


class AckSink(Protocol):
    def add(self, *, station_id: int, alert_id: str, stage: Stage, at: datetime) -> None:
        """An agent's acknowledgement, stored with the others shortly."""
        ...


class ManifestSource(Protocol):
    def identify(self, *, database: Database, token: str) -> Caller | None:
        """The unrevoked token's station and its build, in one query; None: no such token."""
        ...

    def current(self, *, session: Session, station_id: int) -> BuildRef | None:
        """The station's current build, or None while it has none."""
        ...

    def manifest(self, *, session: Session, station_id: int, now: datetime) -> Manifest | None:
        """The station's manifest, or None while it has no build yet."""
        ...

    def station_files(
        self, *, session: Session, station_id: int, build: BuildRef
    ) -> frozenset[str]:
        """The sha256 of every file that build of the station's manifest names."""
        ...

    def file_path(self, sha256: str) -> Path | None:
        """Where the stored file is, or None when it is not stored."""
        ...
