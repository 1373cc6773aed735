"""The attention chime played before every repetition of an alert, so people stop and listen
before the bulletin starts.

The `alert_chime` setting chooses it: "default" is a rising three-tone chime made here with
ffmpeg, "none" plays none, anything else is the path of an audio file. Either way the chime
goes through the normal ingest (loudness-normalised, Opus) into content storage, addressed
by its sha256 like any content, so agents fetch and cache it the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from audio.errors import AudioRejected
from audio.ffmpeg import run_ffmpeg
from audio.ingest import SAMPLE_RATE, IngestSettings
from playlists.content.audio_service import AudioPath, make_audio, store_audio
from playlists.content.services import ContentServices

SETTING = "alert_chime"
DEFAULT = "default"
NONE = "none"

# 660, 880 and 1100 Hz stand at 3:4:5, a major triad: rising, it calls rather than alarms.
TONES_HZ = (660, 880, 1100)
STEP_S = 0.6  # each tone starts this long after the previous one
RING_S = 1.2  # how long a tone rings before the next has faded it out
LENGTH_S = 2.5  # the last tone rings to the end
ATTACK_S = 0.015  # long enough not to click, short enough to sound struck
# A touch of the octave makes the sine less thin; the levels leave headroom where tones
# overlap (ingest sets the loudness afterwards).
VOICE = "0.3*sin(2*PI*{hz}*t)+0.08*sin(4*PI*{hz}*t)"


@dataclass(frozen=True, kw_only=True)
class Chime:
    """A chime in content storage."""

    sha256: str
    duration_s: float
    size_bytes: int


class ChimeError(Exception):
    """The configured chime cannot be used; the message names the setting and the path."""


# One chime per setting (and ingest settings, which change its bytes) per process. The lock
# is held while one is made, so threads asking at once make it once; that happens at startup.
_lock = threading.Lock()
_made: dict[tuple[str, IngestSettings], Chime] = {}


def ensure_chime(*, setting: str, services: ContentServices) -> Chime | None:
    """The chime `setting` names, in `services.storage`; None when it is "none". Made or
    ingested on the first call for the setting; later calls return it unless it has gone
    from storage. Raises ChimeError when a configured file is missing or not usable audio."""
    if setting == NONE:
        return None
    key = (setting, services.ingest)
    with _lock:
        chime = _made.get(key)
        if chime is None or not services.storage.exists(chime.sha256):
            chime = _made[key] = _make(setting, services)
        return chime


def _make(setting: str, services: ContentServices) -> Chime:
    with services.work_dir() as work_dir:
        source = _generated(work_dir) if setting == DEFAULT else _configured(setting)
        try:
            with make_audio(services, AudioPath(source)) as made:
                audio = made.result
                store_audio(storage=services.storage, audio=audio)
        except AudioRejected as exc:
            if setting == DEFAULT:
                raise  # our own chime refused: a fault here, not in the configuration
            raise ChimeError(f"{SETTING}: {source} cannot be used as the chime: {exc}") from exc
    return Chime(sha256=audio.sha256, duration_s=audio.duration_s, size_bytes=audio.size_bytes)


def _configured(setting: str) -> Path:
    path = Path(setting).expanduser().absolute()
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ChimeError(
            f"{SETTING}: cannot read the chime file {path} ({reason}); set it to "
            f"{DEFAULT!r}, {NONE!r} or the path of a readable audio file"
        ) from exc
    return path


def _generated(work_dir: Path) -> Path:
    output = work_dir / "chime.wav"
    tones = ";".join(_tone(n, hz) for n, hz in enumerate(TONES_HZ))
    inputs = "".join(f"[t{n}]" for n in range(len(TONES_HZ)))
    mix = f"{inputs}amix=inputs={len(TONES_HZ)}:normalize=0:duration=longest"
    graph = f"{tones};{mix},atrim=end={LENGTH_S}[chime]"
    args = ["-v", "error", "-filter_complex", graph, "-map", "[chime]"]
    run_ffmpeg([*args, "-c:a", "pcm_s16le", "-y", str(output)], work_dir=work_dir)
    return output


def _tone(n: int, hz: int) -> str:
    start = n * STEP_S
    ring = RING_S if n < len(TONES_HZ) - 1 else LENGTH_S - start
    # A quarter-sine decay: bell-like, yet never so quiet that ingest trims it as silence.
    return (
        f"aevalsrc='{VOICE.format(hz=hz)}':s={SAMPLE_RATE}:d={ring:.3f},"
        f"afade=t=in:d={ATTACK_S},afade=t=out:st={ATTACK_S}:d={ring - ATTACK_S:.3f}:curve=qsin,"
        f"adelay={round(start * 1000)}:all=1[t{n}]"
    )
