"""ffprobe: is this audio, and what is it, before anything is decoded."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from audio.errors import AudioRejected, AudioToolError

PROBE_TIMEOUT_S = 60
# Containers an upload may be. Anything else — above all the playlist and concat formats
# (hls, concat, ...), which make ffmpeg open other files or URLs — is refused.
ALLOWED_FORMATS = frozenset(
    {
        "mp3",
        "wav",
        "ogg",
        "flac",
        "aac",
        "amr",
        "mov",
        "mp4",
        "m4a",
        "3gp",
        "3g2",
        "mj2",
        "matroska",
        "webm",
        "asf",
        "aiff",
        "au",
        "caf",
        "w64",
        "wv",
        "ape",
    }
)
# ffmpeg and ffprobe may read the input file and nothing else.
LOCAL_ONLY = ["-protocol_whitelist", "file"]


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    format_name: str
    codec: str
    channels: int
    sample_rate: int
    duration_s: float | None


def parse_probe(output: str) -> ProbeResult:
    """Read ffprobe's JSON; refuse anything without an audio stream."""
    data = json.loads(output or "{}")
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioRejected("this file has no audio that ffmpeg can read: is it a sound file?")
    stream = streams[0]
    fmt = data.get("format", {})
    names = set(str(fmt.get("format_name", "")).split(","))
    if not names & ALLOWED_FORMATS:
        raise AudioRejected(
            f"files of type {fmt.get('format_name', 'unknown')!r} are not accepted: "
            "upload MP3, WAV, OGG/Opus, M4A/AAC, AMR or FLAC"
        )
    duration = stream.get("duration") or fmt.get("duration")
    return ProbeResult(
        format_name=str(fmt.get("format_name", "unknown")),
        codec=str(stream.get("codec_name", "unknown")),
        channels=int(stream.get("channels") or 0),
        sample_rate=int(stream.get("sample_rate") or 0),
        duration_s=float(duration) if duration not in (None, "N/A") else None,
    )


def probe(path: Path) -> ProbeResult:
    if path.stat().st_size == 0:
        raise AudioRejected("the file is empty (0 bytes)")
    command = [
        "ffprobe",
        "-v",
        "error",
        *LOCAL_ONLY,
        "-show_format",
        "-show_streams",
        "-of",
        "json",
        str(path),
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except FileNotFoundError as exc:
        raise AudioToolError("ffprobe is not installed (apt-get install ffmpeg)") from exc
    except subprocess.TimeoutExpired as exc:
        raise AudioRejected("the file could not be read in time: it may be damaged") from exc
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines()[-1:] or ["unknown error"])[0]
        detail = detail.replace(str(path), path.name)[:300]
        raise AudioRejected(f"this is not an audio file ffmpeg can read ({detail})")
    return parse_probe(result.stdout)
