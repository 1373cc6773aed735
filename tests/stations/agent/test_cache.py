"""The cache against a real Starlette FileResponse (the server's own file route type):
whole downloads, resumes, a wrong hash refused, eviction below the floor."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from stations.agent.cache import DownloadFailed, FileCache
from stations.protocol import ManifestFile


def _server(files: dict[str, Path]) -> httpx.AsyncClient:
    async def serve(request: Request) -> FileResponse:
        name = request.path_params["name"]
        return FileResponse(files[name], headers={"ETag": f'"{name}"'})

    app = Starlette(routes=[Route("/files/{name}", serve)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://server")


def _stored(tmp_path: Path, data: bytes, name: str | None = None) -> tuple[ManifestFile, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / "server" / (name or sha)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return ManifestFile(sha256=sha, size=len(data), url=f"/files/{name or sha}"), path


def test_a_whole_download_is_verified_and_named_by_its_hash(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    file, path = _stored(tmp_path, data)
    cache = FileCache(tmp_path / "cache")
    assert not cache.verified(file.sha256)
    client = _server({file.sha256: path})
    assert asyncio.run(cache.fetch(client, file)) is True
    assert cache.verified(file.sha256) and cache.path(file.sha256).read_bytes() == data
    assert asyncio.run(cache.fetch(client, file)) is False  # already there


def test_a_partial_download_resumes_from_its_length(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    file, path = _stored(tmp_path, data)
    cache = FileCache(tmp_path / "cache")
    (cache.partial / f"{file.sha256}.part").write_bytes(data[:120_000])
    seen: list[str | None] = []

    async def fetch() -> None:
        client = _server({file.sha256: path})
        client.event_hooks["request"] = [lambda r: _note(seen, r)]
        await cache.fetch(client, file)

    asyncio.run(fetch())
    assert seen == ["bytes=120000-"]
    assert cache.verified(file.sha256) and cache.path(file.sha256).read_bytes() == data


async def _note(seen: list[str | None], request: httpx.Request) -> None:
    seen.append(request.headers.get("range"))


def test_bytes_that_do_not_match_the_hash_never_become_playable(tmp_path: Path) -> None:
    data = os.urandom(50_000)
    file, _ = _stored(tmp_path, data)
    impostor = tmp_path / "impostor"
    impostor.write_bytes(os.urandom(50_000))
    cache = FileCache(tmp_path / "cache")
    with pytest.raises(DownloadFailed, match="hash"):
        asyncio.run(cache.fetch(_server({file.sha256: impostor}), file))
    assert not cache.verified(file.sha256)
    assert list(cache.partial.iterdir()) == []  # discarded: the next try starts afresh


def test_eviction_removes_only_unreferenced_files_and_only_below_the_floor(
    tmp_path: Path,
) -> None:
    cache = FileCache(tmp_path / "cache")
    keep, drop = "a" * 64, "b" * 64
    for name in (keep, drop):
        cache.path(name).write_bytes(b"x" * 1000)
    free = shutil.disk_usage(cache.root).free
    assert cache.evict({keep}, floor_bytes=free // 2) == []  # plenty of space: keep all
    assert cache.evict({keep}, floor_bytes=free * 10) == [drop]
    assert cache.path(keep).exists() and not cache.path(drop).exists()
