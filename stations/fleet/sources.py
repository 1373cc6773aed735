"""What the agent routes need from the playlists side, as an interface: the app wires in
the implementation (playlists/timelines/manifest.py), so stations/ never imports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from sqlmodel import Session

from core.db import Database
from stations.fleet.auth import StationIdentity
from stations.protocol import Manifest, etag


@dataclass(frozen=True, slots=True)
class BuildRef:
    """Which build of a station's manifest is current."""

    version: int
    build_id: str

    @property
    def etag(self) -> str:
        return etag(self.version, self.build_id)


class Caller(NamedTuple):
    """The station a token belongs to, and its current build (None: none yet)."""

    station: StationIdentity
    build: BuildRef | None


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
