"""A PCM output that says when what it was given will be heard: PulseAudio's simple API
through ctypes (libpulse-simple, part of every PulseAudio or PipeWire-Pulse system), so
the agent needs no compiled module. `write` blocks while the server's buffer is full,
which paces the writer; `latency_s` is how long until the last frame written is heard,
as the server reckons it (its buffer and the sink's own latency)."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Protocol

RATE = 48_000
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS  # s16le
_PA_SAMPLE_S16LE = 3
_PA_STREAM_PLAYBACK = 1
_DEFAULT = 0xFFFFFFFF  # (uint32_t) -1: the server's choice


class OutputError(Exception):
    """The sound server refused the stream or a write."""


class PcmOutput(Protocol):
    """Where a ScheduledPlayer writes: s16le, RATE Hz, CHANNELS channels."""

    def write(self, frames: bytes) -> None: ...

    def latency_s(self) -> float: ...

    def close(self) -> None: ...


class _SampleSpec(ctypes.Structure):
    _fields_ = [
        ("format", ctypes.c_int),
        ("rate", ctypes.c_uint32),
        ("channels", ctypes.c_uint8),
    ]


class _BufferAttr(ctypes.Structure):
    _fields_ = [
        ("maxlength", ctypes.c_uint32),
        ("tlength", ctypes.c_uint32),
        ("prebuf", ctypes.c_uint32),
        ("minreq", ctypes.c_uint32),
        ("fragsize", ctypes.c_uint32),
    ]


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("pulse-simple") or "libpulse-simple.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise OutputError(f"libpulse-simple is not installed ({exc})") from exc
    lib.pa_simple_new.restype = ctypes.c_void_p
    lib.pa_simple_new.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.POINTER(_SampleSpec),
        ctypes.c_void_p,
        ctypes.POINTER(_BufferAttr),
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.pa_simple_write.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.pa_simple_get_latency.restype = ctypes.c_uint64
    lib.pa_simple_get_latency.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.pa_simple_free.argtypes = [ctypes.c_void_p]
    lib.pa_strerror.restype = ctypes.c_char_p
    lib.pa_strerror.argtypes = [ctypes.c_int]
    return lib


class PulseOutput:
    def __init__(self, *, buffer_s: float = 0.04, name: str = "Loaxa") -> None:
        self._lib = _library()
        spec = _SampleSpec(_PA_SAMPLE_S16LE, RATE, CHANNELS)
        target = int(buffer_s * RATE) * FRAME_BYTES
        # A small target buffer: what is queued is what a start must wait behind.
        attr = _BufferAttr(_DEFAULT, target, _DEFAULT, _DEFAULT, _DEFAULT)
        error = ctypes.c_int(0)
        handle = self._lib.pa_simple_new(
            None, name.encode(), _PA_STREAM_PLAYBACK, None, b"playout", spec, None, attr, error
        )
        if not handle:
            raise OutputError(f"PulseAudio refused the stream: {self._error(error)}")
        self._handle: int | None = handle

    def write(self, frames: bytes) -> None:
        error = ctypes.c_int(0)
        if self._lib.pa_simple_write(self._open(), frames, len(frames), error) < 0:
            raise OutputError(f"PulseAudio refused a write: {self._error(error)}")

    def latency_s(self) -> float:
        error = ctypes.c_int(0)
        usec = self._lib.pa_simple_get_latency(self._open(), error)
        if error.value:
            raise OutputError(f"PulseAudio could not say its latency: {self._error(error)}")
        return float(usec) / 1e6

    def _open(self) -> int:
        if self._handle is None:  # never hand libpulse a stream it has freed
            raise OutputError("the stream is closed")
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            self._lib.pa_simple_free(self._handle)
            self._handle = None

    def _error(self, error: ctypes.c_int) -> str:
        text = self._lib.pa_strerror(error.value)
        return text.decode() if text else str(error.value)
