"""Run ffmpeg with a bounded log, progress from -progress, a deadline, and errors in plain
words."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from audio.errors import AudioRejected, AudioToolError

Progress = Callable[[float], None]  # seconds of input processed so far


def run_ffmpeg(
    args: Sequence[str],
    *,
    work_dir: Path,
    progress: Progress | None = None,
    timeout_s: float = 3 * 3600,
) -> str:
    """Run `ffmpeg ARGS`; return its log (stderr). A decoding failure is the input's fault
    (AudioRejected); a missing ffmpeg is not (AudioToolError). Past `timeout_s` ffmpeg is
    killed and the input refused."""
    command = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", *args]
    # The log goes to a file, not a pipe, so a chatty ffmpeg can never block on it.
    with tempfile.TemporaryFile(dir=work_dir, mode="w+") as log:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        except FileNotFoundError as exc:
            raise AudioToolError("ffmpeg is not installed (apt-get install ffmpeg)") from exc
        # Reading progress blocks until ffmpeg ends, so the deadline is a separate timer.
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            process.kill()

        watchdog = threading.Timer(timeout_s, expire)
        watchdog.start()
        try:
            _follow_progress(process, progress)
            returncode = process.wait()
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        log.seek(0)
        output = log.read()
    if timed_out.is_set():
        raise AudioRejected(
            f"processing took longer than {timeout_s:.0f} s: the file may be damaged"
        )
    if returncode != 0:
        reason = _last_error(output).replace(str(work_dir) + "/", "")
        raise AudioRejected(f"the audio is damaged or cut short ({reason})")
    return output


def _follow_progress(process: subprocess.Popen[str], progress: Progress | None) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if progress is not None and line.startswith("out_time_us="):
            value = line.split("=", 1)[1].strip()
            if value.lstrip("-").isdigit():
                progress(max(0, int(value)) / 1_000_000)


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    meaningful = [line for line in lines if "rror" in line or "nvalid" in line or "orrupt" in line]
    return (meaningful or lines or ["ffmpeg failed"])[-1][:300]
