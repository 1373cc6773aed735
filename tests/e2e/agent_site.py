"""A real server on SQLite with one station scheduled, and helpers to look at an agent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from playlists.content.storage import LocalStorage
from playlists.timelines.models import StationBuild
from stations.agent.cache import FileCache, sha256_of
from stations.fleet.models import AsRun
from stations.protocol import Manifest
from tests.e2e.processes import Agent, Server, wait_for
from tests.e2e.proxy import Proxy
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import StoredAudio
from tests.world import World

# Quick to react, so the tests run in seconds; the push test sets long polls itself.
FAST = (
    "--upload-interval",
    "0.2",
    "--upload-spread",
    "0",
    "--fetch-spread",
    "0",
    "--backoff-max",
    "1",
    "--heartbeat-interval",
    "1",
)


@dataclass
class Site:
    world: World
    server: Server
    storage: LocalStorage
    audio: StoredAudio
    station_id: int
    tmp: Path

    def agent(
        self,
        name: str,
        *options: str,
        server_url: str | None = None,
        capture_dir: Path | None = None,
    ) -> Agent:
        """An agent for the station; it plays only when given a directory to capture into
        (the protocol's tests store random bytes, not audio)."""
        code = enrollment_code(self.world, self.station_id)
        playout = ("--capture-dir", str(capture_dir)) if capture_dir else ("--no-playout",)
        return Agent(
            server_url or self.server.url,
            self.tmp / name,
            self.tmp,
            "--enroll",
            code,
            *playout,
            *(options or FAST),
        )

    def killed_mid_download(self, name: str, proxy: Proxy) -> tuple[Agent, Path]:
        """An agent for the station fetching its file slowly through `proxy`, killed part
        way; returns it (stopped) and its partial file."""
        sha = self.audio.sha256
        with proxy.faulty(bytes_per_s=100_000):
            agent = self.agent(name, server_url=f"http://127.0.0.1:{proxy.port}").start()
            part = agent.data_dir / "cache" / "partial" / f"{sha}.part"
            wait_for(
                lambda: part.exists() and part.stat().st_size > 50_000,
                timeout=20,
                what="download under way",
                log=agent.log,
            )
            agent.kill()
        return agent, part

    def version(self) -> int | None:
        with self.world.database.session() as session:
            build = session.get(StationBuild, self.station_id)
            return build.version if build else None

    def asrun_ids(self) -> list[str]:
        with self.world.database.session() as session:
            return list(session.exec(select(AsRun.id).where(AsRun.station_id == self.station_id)))


def saved_manifest(data_dir: Path) -> Manifest | None:
    path = data_dir / "manifest.json"
    return Manifest.model_validate_json(path.read_bytes()) if path.exists() else None


def saved_version(data_dir: Path) -> int | None:
    manifest = saved_manifest(data_dir)
    return manifest.version if manifest else None


def verified(data_dir: Path, sha256: str) -> bool:
    return FileCache(data_dir / "cache").verified(sha256)


def cache_is_sound(data_dir: Path) -> bool:
    """Every file under its name in the cache hashes to that name."""
    root = data_dir / "cache"
    return all(sha256_of(p) == p.name for p in root.iterdir() if p.is_file())


def token_of(data_dir: Path) -> str:
    return str(json.loads((data_dir / "station.json").read_text())["token"])
