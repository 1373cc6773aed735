"""The file cache: files named by their sha256, in place only once verified.

A download grows in partial/<sha256>.part and resumes from there (Range, with If-Range so a
changed file restarts from zero); the hash is checked before the atomic rename into place.
So a file under its name is complete and verified, even after a crash mid-download; the
cache still re-hashes each file once per run before vouching for it, against damage.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
from collections.abc import Collection
from pathlib import Path

import httpx

from stations.agent.files import fsync_dir, private_dir
from stations.protocol import ManifestFile

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class DownloadFailed(Exception):
    """A file could not be fetched or did not match its hash; it is fetched again later."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


class FileCache:
    def __init__(self, root: Path) -> None:
        self.root = private_dir(root)
        self.partial = private_dir(root / "partial")
        self._verified: set[str] = set()
        self._fetching: dict[str, asyncio.Lock] = {}

    def path(self, sha256: str) -> Path:
        return self.root / sha256

    def verified(self, sha256: str) -> bool:
        """Is this file complete and verified? The playout engine's one question."""
        path = self.path(sha256)
        if not path.exists():
            self._verified.discard(sha256)
            return False
        if sha256 in self._verified:
            return True
        if sha256_of(path) == sha256:
            self._verified.add(sha256)
            return True
        log.warning("cache: %s does not match its hash; discarding it", sha256)
        path.unlink(missing_ok=True)
        return False

    async def fetch(self, client: httpx.AsyncClient, file: ManifestFile) -> bool:
        """Make the file present and verified; False when it already was (or another
        caller, such as an alert's push, has just fetched it: one download at a time)."""
        lock = self._fetching.setdefault(file.sha256, asyncio.Lock())
        try:
            async with lock:
                return await self._fetch(client, file)
        finally:
            if not lock.locked():
                self._fetching.pop(file.sha256, None)

    async def _fetch(self, client: httpx.AsyncClient, file: ManifestFile) -> bool:
        if await asyncio.to_thread(self.verified, file.sha256):
            return False
        part = self.partial / f"{file.sha256}.part"
        await self._download(client, file, part)
        actual = await asyncio.to_thread(sha256_of, part)
        if actual != file.sha256:
            part.unlink(missing_ok=True)
            raise DownloadFailed(f"{file.sha256}: the bytes received hash to {actual}")
        os.replace(part, self.path(file.sha256))
        fsync_dir(self.root)
        self._verified.add(file.sha256)
        return True

    async def _download(self, client: httpx.AsyncClient, file: ManifestFile, part: Path) -> None:
        offset = _resume_offset(part, file.size)
        if offset == file.size and offset > 0:
            return  # all there already (killed before the check): just check it
        headers = {"Range": f"bytes={offset}-", "If-Range": f'"{file.sha256}"'} if offset else {}
        async with client.stream("GET", file.url, headers=headers) as response:
            if response.status_code == 206 and _range_start(response) == offset:
                mode = "ab"
            elif response.status_code == 200:
                mode = "wb"  # the whole file (the server ignored or refused the range)
            elif response.status_code == 416:
                _resume_offset(part, -1)
                raise DownloadFailed(f"{file.sha256}: the partial download was longer than it")
            else:
                raise DownloadFailed(f"{file.sha256}: the server answered {response.status_code}")
            with part.open(mode) as handle:
                async for chunk in response.aiter_bytes(CHUNK):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())

    def evict(self, referenced: Collection[str], floor_bytes: int) -> list[str]:
        """While free space is below the floor, delete files no manifest refers to, oldest
        first; returns the hashes deleted."""
        deleted: list[str] = []
        if shutil.disk_usage(self.root).free >= floor_bytes:
            return deleted
        candidates = [p for p in self.root.iterdir() if p.is_file() and p.name not in referenced]
        candidates += [
            p for p in self.partial.iterdir() if p.name.removesuffix(".part") not in referenced
        ]
        for path in sorted(candidates, key=lambda p: p.stat().st_mtime):
            if shutil.disk_usage(self.root).free >= floor_bytes:
                break
            path.unlink(missing_ok=True)
            name = path.name.removesuffix(".part")
            self._verified.discard(name)
            deleted.append(name)
        return deleted


def _resume_offset(part: Path, size: int) -> int:
    """Where a download resumes: the partial file's length, or 0 (and no partial file)
    when it cannot be the start of a file of `size` bytes."""
    offset = part.stat().st_size if part.exists() else 0
    if offset > size:
        part.unlink(missing_ok=True)
        return 0
    return offset


def _range_start(response: httpx.Response) -> int | None:
    content_range = response.headers.get("content-range", "")
    unit, _, spec = content_range.partition(" ")
    start, _, _ = spec.partition("-")
    return int(start) if unit == "bytes" and start.isdigit() else None
