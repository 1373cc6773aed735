"""Loudness per EBU R128: read ffmpeg's ebur128 and silencedetect output, plan the gain.

Pure functions: they take ffmpeg's text and numbers and return values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

# Integrated loudness below this is silence for broadcast purposes.
SILENT_LUFS = -60.0

# ffmpeg may build a filter graph twice (once before it knows the input's format); only
# the last summary measured the audio.
_SUMMARY = re.compile(r"Summary:(?P<body>(?:(?!Summary:).)*)\Z", re.S)
_INTEGRATED = re.compile(r"I:\s+(?P<value>-?[\d.]+|-inf|nan)\s+LUFS")
_LRA = re.compile(r"LRA:\s+(?P<value>-?[\d.]+)\s+LU\b")
_PEAK = re.compile(r"Peak:\s+(?P<value>-?[\d.]+|-inf)\s+dBFS")
_SILENCE_START = re.compile(r"silence_start:\s*(?P<t>-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end:\s*(?P<t>-?[\d.]+)")


class LoudnessTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    integrated_lufs: float = Field(default=-16.0, ge=-40, le=-5)
    true_peak_dbtp: float = Field(default=-1.5, ge=-9, le=0)


@dataclass(frozen=True, kw_only=True)
class Loudness:
    integrated_lufs: float
    loudness_range_lu: float | None
    peak_dbfs: float | None

    @property
    def silent(self) -> bool:
        return math.isnan(self.integrated_lufs) or self.integrated_lufs < SILENT_LUFS


def _number(text: str) -> float:
    return -math.inf if text == "-inf" else float(text)


def parse_ebur128(stderr: str) -> Loudness:
    """The summary ffmpeg's ebur128 filter prints at the end of a run."""
    match = _SUMMARY.search(stderr)
    if match is None:
        raise ValueError("no ebur128 summary in ffmpeg's output")
    body = match.group("body")
    integrated = _INTEGRATED.search(body)
    if integrated is None:
        raise ValueError("no integrated loudness in ffmpeg's ebur128 summary")
    lra = _LRA.search(body)
    peak = _PEAK.search(body)
    return Loudness(
        integrated_lufs=_number(integrated.group("value")),
        loudness_range_lu=float(lra.group("value")) if lra else None,
        peak_dbfs=_number(peak.group("value")) if peak else None,
    )


@dataclass(frozen=True, kw_only=True)
class SpeechSpan:
    """Where the sound is, once leading and trailing silence are left out."""

    start_s: float
    end_s: float | None  # None: runs to the end


def parse_silence(stderr: str, duration_s: float) -> SpeechSpan:
    """From silencedetect's log: the end of a silence at the start, the start of one that
    reaches the end."""
    starts = [float(m.group("t")) for m in _SILENCE_START.finditer(stderr)]
    ends = [float(m.group("t")) for m in _SILENCE_END.finditer(stderr)]
    start = ends[0] if starts and starts[0] <= 0.05 and ends else 0.0
    open_ended = len(starts) > len(ends)
    runs_to_end = bool(ends) and ends[-1] >= duration_s - 0.05
    end = starts[-1] if starts and (open_ended or runs_to_end) and starts[-1] > start else None
    if end is not None and end <= start:
        return SpeechSpan(start_s=0.0, end_s=None)
    return SpeechSpan(start_s=start, end_s=end)


def gain_db(measured: Loudness, target: LoudnessTarget) -> float:
    """The gain that brings the integrated loudness to the target; a limiter keeps peaks."""
    return round(target.integrated_lufs - measured.integrated_lufs, 2)


def limiter_ceiling(target: LoudnessTarget, margin_db: float = 1.0) -> float:
    """Sample-peak ceiling, linear, below the true-peak target: inter-sample peaks and the
    encoder can add up to about a decibel."""
    return round(10 ** ((target.true_peak_dbtp - margin_db) / 20), 4)
