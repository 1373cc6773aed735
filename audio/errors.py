"""Errors an operator can act on: what is wrong with the audio, in plain words."""

from __future__ import annotations


class AudioRejected(Exception):
    """The input cannot become broadcast audio; the message tells the operator why."""


class AudioToolError(Exception):
    """ffmpeg or ffprobe failed for a reason that is not the input's fault."""
