"""Test audio made on the spot with ffmpeg and espeak-ng: nothing large is committed."""

from __future__ import annotations

import subprocess
from pathlib import Path

# ffmpeg output options per container, for the formats operators bring.
FORMATS: dict[str, list[str]] = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
    "opus": ["-c:a", "libopus", "-b:a", "48k"],
    "webm": ["-c:a", "libopus", "-b:a", "48k"],
    "m4a": ["-c:a", "aac", "-b:a", "96k"],
    "flac": ["-c:a", "flac"],
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True, timeout=120)


def tone(
    path: Path,
    *,
    seconds: float,
    level_db: float = -20.0,
    freq: int = 440,
    channels: int = 2,
    rate: int = 44100,
    lead_silence_s: float = 0.0,
    tail_silence_s: float = 0.0,
) -> Path:
    """A tone with pink noise under it, at roughly `level_db` dBFS, optionally padded with
    silence; encoded by the file's suffix."""
    fmt = path.suffix.lstrip(".")
    graph = (
        f"sine=f={freq}:d={seconds}:r={rate}[s];"
        f"anoisesrc=d={seconds}:c=pink:a=0.3:r={rate}[n];"
        f"[s][n]amix=inputs=2,volume={level_db}dB,"
        f"adelay={int(lead_silence_s * 1000)}:all=1,apad=pad_dur={tail_silence_s}"
    )
    ffmpeg("-filter_complex", graph, "-ac", str(channels), *FORMATS[fmt], str(path))
    return path


def noise(path: Path, *, seconds: float, seed: int, rate: int = 48000) -> Path:
    """Pink noise: every stretch of it is unlike any other, so a correlation against it
    can only be high where the waveform really is the same."""
    fmt = path.suffix.lstrip(".")
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=d={seconds}:c=pink:a=0.2:r={rate}:s={seed}",
        *FORMATS[fmt],
        str(path),
    )
    return path


def silence(path: Path, *, seconds: float) -> Path:
    fmt = path.suffix.lstrip(".")
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=44100:cl=mono:d={seconds}", *FORMATS[fmt], str(path))
    return path


def speech(path: Path, text: str, *, voice: str = "vi") -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, timeout=60)
    return path


def measure(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a file, measured independently of
    the code under test."""
    result = subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-nostats",
            "-nostdin",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = result.stderr.rsplit("Summary:", 1)[1]
    integrated = float(summary.split("I:", 1)[1].split("LUFS", 1)[0])
    peak = float(summary.split("Peak:", 1)[1].split("dBFS", 1)[0])
    return integrated, peak


def duration(path: Path) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(result.stdout.strip())


def truncated(path: Path, *, seconds: float = 10) -> Path:
    """A file whose header promises more audio than it holds (a third of it)."""
    tone(path, seconds=seconds)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    return path


def corrupted(path: Path) -> Path:
    """A file with its bytes scrambled after the first 2 kB."""
    tone(path, seconds=5)
    data = bytearray(path.read_bytes())
    for i in range(2000, len(data), 7):
        data[i] = (data[i] * 31 + 7) % 256
    path.write_bytes(bytes(data))
    return path
