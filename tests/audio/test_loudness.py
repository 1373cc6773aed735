from __future__ import annotations

import math

import pytest

from audio.loudness import (
    Loudness,
    LoudnessTarget,
    gain_db,
    limiter_ceiling,
    parse_ebur128,
    parse_silence,
)

SUMMARY = """[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
[Parsed_ebur128_0 @ 0x2] Summary:

  Integrated loudness:
    I:         -23.4 LUFS
    Threshold: -33.6 LUFS

  Loudness range:
    LRA:         5.1 LU

  Sample peak:
    Peak:       -3.2 dBFS
"""


def test_the_last_summary_counts() -> None:
    loudness = parse_ebur128(SUMMARY)
    assert loudness == Loudness(integrated_lufs=-23.4, loudness_range_lu=5.1, peak_dbfs=-3.2)
    assert not loudness.silent


def test_silence_and_missing_summary() -> None:
    assert parse_ebur128("Summary:\n I:  -inf LUFS\n").silent
    assert math.isinf(parse_ebur128("Summary:\n I:  -inf LUFS\n").integrated_lufs)
    with pytest.raises(ValueError, match="no ebur128 summary"):
        parse_ebur128("nothing here")


def test_gain_and_ceiling() -> None:
    measured = Loudness(integrated_lufs=-23.4, loudness_range_lu=None, peak_dbfs=None)
    assert gain_db(measured, LoudnessTarget()) == pytest.approx(7.4)
    assert limiter_ceiling(LoudnessTarget(true_peak_dbtp=-1.5)) == pytest.approx(0.7499, abs=1e-4)


@pytest.mark.parametrize(
    ("log", "duration", "start", "end"),
    [
        ("", 10.0, 0.0, None),
        ("silence_start: 0\nsilence_end: 2.5 | silence_duration: 2.5\n", 10.0, 2.5, None),
        ("silence_start: 8.1\n", 10.0, 0.0, 8.1),
        (
            "silence_start: 0\nsilence_end: 1.0\nsilence_start: 4.0\nsilence_end: 5.0\n"
            "silence_start: 8.0\nsilence_end: 10.0\n",
            10.0,
            1.0,
            8.0,
        ),
        ("silence_start: 3.0\nsilence_end: 4.0\n", 10.0, 0.0, None),
    ],
    ids=["none", "leading", "trailing-open", "both-with-middle", "middle-only"],
)
def test_speech_span(log: str, duration: float, start: float, end: float | None) -> None:
    span = parse_silence(log, duration)
    assert (span.start_s, span.end_s) == (start, end)
