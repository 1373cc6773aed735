"""Check a relay's stream URL once, briefly: does it answer with audio (or a playlist that
leads to audio)? The answer is a warning for the operator, never a refusal."""

from __future__ import annotations

import configparser
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from playlists.content.models import RelayCheck

PLAYLIST_TYPES = frozenset(
    {
        "audio/x-mpegurl",
        "audio/mpegurl",
        "application/x-mpegurl",
        "application/vnd.apple.mpegurl",
        "audio/x-scpls",
        "application/pls+xml",
    }
)
AUDIO_TYPES = frozenset({"application/ogg", "application/octet-stream"})
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class StreamCheck:
    status: RelayCheck
    message: str


StreamChecker = Callable[[str], StreamCheck]


def parse_playlist(body: str) -> list[str]:
    """Stream URLs from an .m3u/.m3u8 or .pls playlist, in order."""
    if "[playlist]" in body.lower():
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(body)
        except configparser.Error:
            return []
        section = next((s for s in parser.sections() if s.lower() == "playlist"), None)
        if section is None:
            return []
        items = parser[section]
        return [
            items[k]
            for k in sorted(
                (k for k in items if k.lower().startswith("file")),
                key=lambda k: int(k[4:] or 0) if k[4:].isdigit() else 0,
            )
        ]
    return [
        line.strip()
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _is_playlist(content_type: str, url: str) -> bool:
    path = url.split("?", 1)[0].lower()
    return content_type in PLAYLIST_TYPES or path.endswith((".m3u", ".m3u8", ".pls"))


def check_stream(url: str, *, timeout_s: float = 5.0, follow_playlist: bool = True) -> StreamCheck:
    try:
        with (
            httpx.Client(timeout=timeout_s, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                return StreamCheck(
                    RelayCheck.warning, f"the stream answered HTTP {response.status_code}"
                )
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            head = _read_head(response, time.monotonic() + timeout_s)
            final_url = str(response.url)
    except httpx.TimeoutException:
        return StreamCheck(RelayCheck.warning, f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return StreamCheck(RelayCheck.warning, f"could not reach the stream: {exc}"[:500])
    if _is_playlist(content_type, final_url):
        entries = parse_playlist(head.decode("utf-8", errors="replace"))
        if not entries:
            return StreamCheck(RelayCheck.warning, "the playlist lists no stream")
        if not follow_playlist:
            return StreamCheck(RelayCheck.ok, "a playlist")
        inner = check_stream(
            urljoin(final_url, entries[0]), timeout_s=timeout_s, follow_playlist=False
        )
        return StreamCheck(inner.status, f"playlist → {entries[0]}: {inner.message}"[:500])
    if content_type.startswith("audio/") or (content_type in AUDIO_TYPES and head):
        return StreamCheck(RelayCheck.ok, f"the stream answers with {content_type}")
    return StreamCheck(
        RelayCheck.warning, f"the URL answers with {content_type or 'no content type'}, not audio"
    )


def _read_head(response: httpx.Response, deadline: float) -> bytes:
    """Up to SNIFF_BYTES, but never past the deadline: a stream that trickles a byte at a
    time must not hold the check."""
    buffer = bytearray()
    for chunk in response.iter_bytes():
        buffer.extend(chunk)
        if len(buffer) >= SNIFF_BYTES or time.monotonic() >= deadline:
            break
    return bytes(buffer[:SNIFF_BYTES])
