"""Ingest: any audio ffmpeg decodes becomes one canonical broadcast file.

probe → measure (EBU R128 loudness, silence) → encode (trim, mono 48 kHz, gain, limiter,
Opus in WebM) → measure the result, correcting the gain if the limiter or codec moved it →
sha256. ffmpeg streams from disk to disk: memory stays flat whatever the length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from audio.container import CANONICAL_FORMAT
from audio.errors import AudioRejected
from audio.ffmpeg import Progress, run_ffmpeg
from audio.loudness import (
    Loudness,
    LoudnessTarget,
    SpeechSpan,
    gain_db,
    limiter_ceiling,
    parse_ebur128,
    parse_silence,
)
from audio.probe import LOCAL_ONLY, ProbeResult, probe

# Opus, mono, 48 kHz, 32 kbit/s: libvlc on a Raspberry Pi plays it natively, speech is
# clear and music acceptable at that rate, and an hour is about 14 MB over 4G. In WebM, not
# Ogg: VLC 3 starts an Ogg Opus file late by a delay of the file's own (25-190 ms heard on a
# paced output, the same run after run) and the same packets in Matroska on time. The
# suffix names the codec, so files stored in Ogg before keep their names (audio.container
# tells the two apart).
CANONICAL_SUFFIX = ".opus"
SAMPLE_RATE = 48_000
SILENCE_THRESHOLD_DB = -50
SILENCE_MIN_S = 0.5
# Off the target by more than this once encoded: encode again with corrected gain.
CORRECTION_THRESHOLD_LU = 0.3
MAX_CORRECTIONS = 2
# A truncated file decodes to much less than its header promised.
TRUNCATION_RATIO = 0.9
# Same input, same bytes: no random track UIDs or dates, no encoder tags.
_REPRODUCIBLE = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]


class IngestStep(StrEnum):
    """What ingest is doing, in order: reading the file's header, measuring its loudness,
    encoding (and checking the result)."""

    probe = "probe"
    loudness = "loudness"
    encoding = "encode"  # not `encode`: str has a method of that name


# Told each step as it starts (fraction None), then the fraction of the step done when
# ffmpeg says how far it is (0.0-1.0; an encode corrected again starts again from 0).
StepProgress = Callable[[IngestStep, float | None], None]


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: LoudnessTarget = LoudnessTarget()
    trim_silence: bool = True
    bitrate_kbps: int = Field(default=32, ge=8, le=256)
    max_duration_s: float = Field(default=3 * 3600, gt=0)


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    output: Path
    sha256: str
    size_bytes: int
    duration_s: float
    source: ProbeResult
    before: Loudness
    after: Loudness
    gain_db: float
    span: SpeechSpan


def ingest_file(
    *,
    source: Path,
    work_dir: Path,
    settings: IngestSettings,
    progress: Progress | None = None,
    steps: StepProgress | None = None,
) -> IngestResult:
    """Turn `source` into the canonical file inside `work_dir`; raise AudioRejected with an
    operator's explanation when it cannot be broadcast. `progress` hears the seconds of
    input each ffmpeg pass has processed; `steps` hears each step and its fraction done."""
    report = _Reporter(steps, progress)
    report.start(IngestStep.probe)
    probed = probe(source)
    _check_length(probed.duration_s, settings)
    report.start(IngestStep.loudness, expected_s=probed.duration_s)
    before, span, decoded_s = _measure_source(
        source, work_dir, settings.max_duration_s, report.seconds
    )
    if before.silent:
        raise AudioRejected("the audio is silent (or nearly): nothing would be heard")
    if probed.duration_s and decoded_s < probed.duration_s * TRUNCATION_RATIO:
        raise AudioRejected(
            f"the file is cut short: it should last {probed.duration_s:.1f} s but only "
            f"{decoded_s:.1f} s could be decoded"
        )
    _check_length(decoded_s, settings)
    if not settings.trim_silence:
        span = SpeechSpan(start_s=0.0, end_s=None)
    output = work_dir / f"canonical{CANONICAL_SUFFIX}"
    report.start(IngestStep.encoding, expected_s=(span.end_s or decoded_s) - span.start_s)
    gain, after = _encode_to_target(
        source, output, work_dir, settings, before, span, report.seconds
    )
    return IngestResult(
        output=output,
        sha256=sha256_of(output),
        size_bytes=output.stat().st_size,
        duration_s=round(probe(output).duration_s or 0.0, 3),
        source=probed,
        before=before,
        after=after,
        gain_db=gain,
        span=span,
    )


class _Reporter:
    """Turns ffmpeg's seconds processed into the fraction of the current step."""

    def __init__(self, steps: StepProgress | None, progress: Progress | None) -> None:
        self._steps, self._progress = steps, progress
        self._step, self._expected_s = IngestStep.probe, 0.0

    def start(self, step: IngestStep, *, expected_s: float | None = None) -> None:
        self._step, self._expected_s = step, expected_s or 0.0
        if self._steps is not None:
            self._steps(step, None)

    def seconds(self, done_s: float) -> None:
        if self._progress is not None:
            self._progress(done_s)
        if self._steps is not None and self._expected_s > 0:
            self._steps(self._step, min(1.0, max(0.0, done_s / self._expected_s)))


def _check_length(seconds: float | None, settings: IngestSettings) -> None:
    if seconds is not None and seconds > settings.max_duration_s:
        raise AudioRejected(
            f"the audio lasts {seconds / 60:.1f} minutes; the limit is "
            f"{settings.max_duration_s / 60:.1f} minutes"
        )


def _measure_source(
    source: Path, work_dir: Path, max_duration_s: float, progress: Progress | None
) -> tuple[Loudness, SpeechSpan, float]:
    decoded = [0.0]

    def track(seconds: float) -> None:
        decoded[0] = max(decoded[0], seconds)
        if progress is not None:
            progress(seconds)

    # Measured on the mono downmix that will be broadcast, at the source's own rate.
    chain = (
        f"aformat=channel_layouts=mono,"
        f"silencedetect=n={SILENCE_THRESHOLD_DB}dB:d={SILENCE_MIN_S},ebur128=peak=sample"
    )
    # Decoding stops just past the length limit, whatever the header claimed.
    limit = ["-t", f"{max_duration_s + 1:.0f}"]
    inputs = ["-v", "info", "-xerror", *LOCAL_ONLY, "-i", str(source), *limit, "-map", "0:a:0"]
    log = run_ffmpeg([*inputs, "-af", chain, "-f", "null", "-"], work_dir=work_dir, progress=track)
    return parse_ebur128(log), parse_silence(log, decoded[0]), decoded[0]


def _encode_to_target(
    source: Path,
    output: Path,
    work_dir: Path,
    settings: IngestSettings,
    before: Loudness,
    span: SpeechSpan,
    progress: Progress | None,
) -> tuple[float, Loudness]:
    gain = gain_db(before, settings.target)
    _encode(source, output, work_dir, settings, gain, span, progress)
    after = _measure_output(output, work_dir, progress)
    for _ in range(MAX_CORRECTIONS):
        shortfall = settings.target.integrated_lufs - after.integrated_lufs
        if abs(shortfall) <= CORRECTION_THRESHOLD_LU:
            break
        # Peaky audio (speech, TTS) loses loudness in the limiter and the codec's low-pass:
        # measure what was really made and make up for it.
        gain = round(gain + shortfall, 2)
        _encode(source, output, work_dir, settings, gain, span, progress)
        after = _measure_output(output, work_dir, progress)
    return gain, after


def _encode(
    source: Path,
    output: Path,
    work_dir: Path,
    settings: IngestSettings,
    gain: float,
    span: SpeechSpan,
    progress: Progress | None,
) -> None:
    trim = ""
    if span.start_s > 0 or span.end_s is not None:
        end = f":end={span.end_s}" if span.end_s is not None else ""
        trim = f"atrim=start={span.start_s}{end},asetpts=PTS-STARTPTS,"
    chain = (
        f"{trim}aformat=sample_rates={SAMPLE_RATE}:channel_layouts=mono,volume={gain}dB,"
        f"alimiter=limit={limiter_ceiling(settings.target)}:level=false:attack=5:release=50"
    )
    inputs = ["-v", "error", "-xerror", *LOCAL_ONLY, "-i", str(source), "-map", "0:a:0"]
    codec = ["-c:a", "libopus", "-b:a", f"{settings.bitrate_kbps}k", "-vbr", "on"]
    outputs = [
        *_REPRODUCIBLE,
        *codec,
        "-application",
        "audio",
        "-f",
        CANONICAL_FORMAT,
        "-y",
        str(output),
    ]
    run_ffmpeg([*inputs, "-af", chain, *outputs], work_dir=work_dir, progress=progress)


def _measure_output(output: Path, work_dir: Path, progress: Progress | None) -> Loudness:
    """Loudness of the file as stations will decode it."""
    args = ["-v", "info", "-i", str(output), "-af", "ebur128=peak=sample", "-f", "null", "-"]
    log = run_ffmpeg(args, work_dir=work_dir, progress=progress)
    return parse_ebur128(log)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
