"""Static files under long-cache names: /static/app.3f2a9c1b.css. The name changes with the
bytes, so browsers keep each file a year and never use a stale one; gzip'd once at start."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"
CACHE_FOREVER = "public, max-age=31536000, immutable"
_COMPRESSIBLE = (".css", ".js", ".svg", ".html", ".txt")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str


class StaticAssets:
    def __init__(self, root: Path = STATIC_DIR) -> None:
        self._urls: dict[str, str] = {}
        self._files: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:10]
            stem, dot, suffix = relative.rpartition(".")
            hashed = f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            compress = path.suffix in _COMPRESSIBLE
            self._urls[relative] = f"/static/{hashed}"
            self._files[hashed] = Asset(
                body, gzip.compress(body, 9) if compress else None, media_type
            )

    def url(self, relative: str) -> str:
        """The long-cache URL of web/static/<relative>; a missing file is a bug: KeyError."""
        return self._urls[relative]

    def response(self, name: str, accept_encoding: str) -> Response:
        asset = self._files.get(name)
        if asset is None:
            raise HTTPException(status_code=404, detail=f"no static file {name!r}")
        headers = {"Cache-Control": CACHE_FOREVER, "Vary": "Accept-Encoding"}
        if asset.gzipped is not None and "gzip" in accept_encoding:
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)


@cache
def packaged_assets() -> StaticAssets:
    """web/static as shipped: read, hashed and gzip'd once a process, however many apps."""
    return StaticAssets()


router = APIRouter(include_in_schema=False)


@router.get("/static/{name:path}")
def static_file(request: Request, name: str) -> Response:
    assets: StaticAssets = request.app.state.web_assets
    return assets.response(name, request.headers.get("accept-encoding", ""))
