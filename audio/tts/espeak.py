"""espeak-ng: the default engine. Vietnamese (Northern, Central, Southern) and a hundred
other languages, offline, on a Raspberry Pi."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from functools import cache
from pathlib import Path

from audio.errors import AudioRejected, AudioToolError
from audio.tts.engine import Voice

TIMEOUT_S = 120


class EspeakEngine:
    name = "espeak-ng"

    def __init__(self, *, words_per_minute: int = 150, binary: str = "espeak-ng") -> None:
        self.words_per_minute = words_per_minute
        self.binary = binary

    def voices(self) -> list[Voice]:
        return list(_voices(self.binary))

    def fingerprint(self) -> str:
        return f"{_version(self.binary)} wpm={self.words_per_minute}"

    def synthesize(self, *, text: str, voice: Voice, output: Path) -> None:
        command = [
            self.binary,
            "-v",
            voice.name,
            "-s",
            str(self.words_per_minute),
            "-b",
            "1",
            "-w",
            str(output),
            "--stdin",
        ]
        try:
            result = subprocess.run(
                command, input=text.encode(), capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except FileNotFoundError as exc:
            raise AudioToolError("espeak-ng is not installed (apt-get install espeak-ng)") from exc
        except subprocess.TimeoutExpired as exc:
            raise AudioRejected(f"reading this text took over {TIMEOUT_S} s: shorten it") from exc
        if result.returncode != 0 or not output.exists():
            raise AudioToolError(
                f"espeak-ng failed: {result.stderr.decode(errors='replace')[:300]}"
            )


def parse_voices(listing: str) -> list[Voice]:
    """`espeak-ng --voices` → voices, tagged with the language's primary subtag."""
    voices: list[Voice] = []
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) < 4:
            continue
        espeak_language, label = columns[1], columns[3].replace("_", " ")
        language = espeak_language.split("-")[0]
        voices.append(
            Voice(engine=EspeakEngine.name, language=language, name=espeak_language, label=label)
        )
    return voices


@cache
def _voices(binary: str) -> tuple[Voice, ...]:
    try:
        result = subprocess.run(
            [binary, "--voices"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        return ()
    return tuple(parse_voices(result.stdout))


def _version(binary: str) -> str:
    """espeak-ng's version, and the size and time of its program and each of its data
    files: a Debian update (1.51+dfsg-10+deb12u2 → u3) keeps the version but not them."""
    banner = _banner(binary)
    found = shutil.which(binary)
    files = [Path(found)] if found else []
    # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data"
    data = banner.partition("Data at:")[2].strip()
    if data:
        files += sorted(p for p in Path(data).rglob("*") if p.is_file())
    digest = hashlib.sha256(banner.encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@cache
def _banner(binary: str) -> str:
    try:
        result = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        return "missing"  # synthesize fails then, so nothing is cached under it
    return result.stdout.strip()
