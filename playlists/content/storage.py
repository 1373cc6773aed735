"""Where content files live, addressed by the sha256 of their bytes.

A small interface so object storage can replace the local folder later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from audio.ingest import CANONICAL_SUFFIX


class ContentStorage(Protocol):
    def put(self, source: Path, sha256: str) -> bool:
        """Move `source` in as `sha256` atomically; False when those bytes were already
        stored (the source is then removed)."""
        ...

    def path(self, sha256: str) -> Path:
        """A local path to read the file from."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def all(self) -> set[str]:
        """Every stored sha256."""
        ...


class LocalStorage:
    """data_dir/content/ab/abcdef….opus, on the same disk as the ingest work folders so a
    finished file moves in with one atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}{CANONICAL_SUFFIX}"

    def put(self, source: Path, sha256: str) -> bool:
        target = self.path(sha256)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, target)
        return True

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def all(self) -> set[str]:
        return {p.stem for p in self.root.glob(f"??/*{CANONICAL_SUFFIX}")}
