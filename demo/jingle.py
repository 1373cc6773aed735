"""The station's jingle (nhạc hiệu): three rising tones made with ffmpeg, so the demo ships
no audio files and still uploads real audio through the ingest."""

from __future__ import annotations

import subprocess
from pathlib import Path

# (frequency Hz, seconds): a rising call-sign, about 2.5 s in all.
NOTES = ((523, 0.5), (659, 0.5), (784, 0.5), (1047, 1.0))


class JingleError(Exception):
    """ffmpeg could not make the jingle."""


def make_jingle(*, path: Path) -> Path:
    """Write the jingle as a WAV file at `path`."""
    inputs = [
        arg
        for freq, seconds in NOTES
        for arg in ("-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}")
    ]
    total = sum(seconds for _, seconds in NOTES)
    chain = "".join(f"[{i}]" for i in range(len(NOTES)))
    # A short fade out, so the last note ends softly rather than with a click.
    graph = f"{chain}concat=n={len(NOTES)}:v=0:a=1,afade=t=out:st={total - 0.3}:d=0.3"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *inputs]
    command += ["-filter_complex", graph, "-ac", "1", "-ar", "48000", str(path)]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as exc:
        raise JingleError("ffmpeg is not installed (apt-get install ffmpeg)") from exc
    except subprocess.CalledProcessError as exc:
        raise JingleError(f"ffmpeg failed: {exc.stderr.strip()[-300:]}") from exc
    return path
