"""The last good manifest, on disk: what the agent works from after a restart or offline."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from stations.agent.files import write_atomic
from stations.protocol import Manifest

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"


class ManifestRefused(Exception):
    """The server sent a manifest that does not validate; the previous one is kept."""


class ManifestStore:
    def __init__(self, data_dir: Path, station_id: int) -> None:
        self._path = data_dir / MANIFEST_FILE
        self._station_id = station_id
        self.current: Manifest | None = self._load()

    def _load(self) -> Manifest | None:
        if not self._path.exists():
            return None
        try:
            saved = Manifest.model_validate_json(self._path.read_bytes())
        except (ValidationError, OSError):
            # Written atomically, so this is damage from outside: start without it.
            log.exception("manifest: the saved copy is unreadable; waiting for the server's")
            return None
        if saved.station_id != self._station_id:
            log.warning("manifest: the saved one is station #%d's; ignoring it", saved.station_id)
            return None
        return saved

    def accept(self, body: bytes) -> Manifest:
        """Validate a manifest from the server and make it current, or refuse it."""
        try:
            manifest = Manifest.model_validate_json(body)
        except ValidationError as exc:
            raise ManifestRefused(f"the server's manifest is invalid: {exc}") from exc
        if manifest.station_id != self._station_id:
            raise ManifestRefused(
                f"the manifest is for station #{manifest.station_id}, not #{self._station_id}"
            )
        write_atomic(self._path, body, mode=0o600)
        self.current = manifest
        return manifest
