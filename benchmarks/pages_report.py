"""The pages benchmark's figures: medians over the runs, the two tables (Chromium on the
slow link; the server on loopback), the targets beside them and the machine."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.machine import describe
from benchmarks.pages_browser import Link, Load

FIRST_LOAD_KB = 100.0  # first load, compressed
FIRST_LOAD_S = 3.0  # on the slow link
FRAGMENT_KB = 20.0
SERVER_P95_MS = 100.0
KB = 1000


@dataclass(slots=True)
class Timing:
    """One path (or one page's JSON paths, one after the other) asked `requests` times."""

    p50_ms: float = math.nan
    p95_ms: float = math.nan
    wire_bytes: int = 0  # the body as sent (gzip'd when the server compresses it)
    raw_bytes: int = 0  # the body decoded
    gzip_bytes: int = 0  # what gzip -6 makes of the body (for JSON, which is sent as is)
    status: int = 0


@dataclass(slots=True)
class PageRun:
    first: Load
    repeat: Load
    json: Load | None
    server: Timing
    json_server: Timing | None


@dataclass(slots=True)
class Result:
    """A page's or a fragment's runs; `absent` when the server under test has no such path."""

    name: str
    path: str
    absent: bool = False
    runs: list[PageRun] = field(default_factory=list)  # pages
    timings: list[tuple[Timing, Timing | None]] = field(default_factory=list)  # fragments
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Setting:
    items: int
    stations: int
    runs: int
    requests: int
    backend: str
    link: Link
    audio_s: float
    load_before: tuple[float, float, float]  # os.getloadavg() before the runs
    load_after: tuple[float, float, float]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: Sequence[float]) -> float:
    found = [v for v in values if not math.isnan(v)]
    return statistics.median(found) if found else math.nan


def _kb(value: float) -> str:
    return "-" if math.isnan(value) else f"{value / KB:.1f}"


def _num(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _med(values: Sequence[float | int]) -> float:
    return median([float(v) for v in values])


def _timing_cells(timings: Sequence[Timing | None], json: bool) -> list[str]:
    found = [t for t in timings if t is not None]
    if not found:
        return ["-"] * 4
    size = _med([t.wire_bytes for t in found])
    second = _med([t.gzip_bytes if json else t.raw_bytes for t in found])
    return [
        _kb(size),
        _kb(second),
        _num(_med([t.p50_ms for t in found])),
        _num(_med([t.p95_ms for t in found])),
    ]


def _browser_table(pages: list[Result]) -> list[str]:
    lines = [
        f"{'page':<16} {'first KB':>9} {'media KB':>9} {'reqs':>5} {'repeat KB':>10} "
        f"{'first s':>8} {'repeat s':>9} | {'JSON KB':>8} {'JSON s':>7}",
    ]
    for page in pages:
        if page.absent:
            lines.append(f"{page.name:<16} not present ({page.path})")
            continue
        runs = page.runs
        jsons = [r.json for r in runs if r.json is not None]
        lines.append(
            f"{page.name:<16} {_kb(_med([r.first.bytes for r in runs])):>9} "
            f"{_kb(_med([r.first.media_bytes for r in runs])):>9} "
            f"{_num(_med([r.first.requests for r in runs]), 0):>5} "
            f"{_kb(_med([r.repeat.bytes for r in runs])):>10} "
            f"{_num(_med([r.first.seconds for r in runs]), 2):>8} "
            f"{_num(_med([r.repeat.seconds for r in runs]), 2):>9} | "
            f"{_kb(_med([j.bytes for j in jsons])) if jsons else '-':>8} "
            f"{_num(_med([j.seconds for j in jsons]), 2) if jsons else '-':>7}"
        )
    return lines


def _server_table(pages: list[Result], fragments: list[Result]) -> list[str]:
    lines = [
        f"{'page or fragment':<26} {'gz KB':>7} {'raw KB':>7} {'p50 ms':>7} {'p95 ms':>7} | "
        f"{'JSON KB':>8} {'gz KB':>6} {'p50 ms':>7} {'p95 ms':>7}",
    ]
    for result in [*pages, *fragments]:
        if result.absent:
            lines.append(f"{result.name:<26} not present ({result.path})")
            continue
        if result.runs:
            own = [r.server for r in result.runs]
            json = [r.json_server for r in result.runs]
        else:
            own = [t for t, _ in result.timings]
            json = [j for _, j in result.timings]
        mine, theirs = _timing_cells(own, json=False), _timing_cells(json, json=True)
        lines.append(
            f"{result.name:<26} {mine[0]:>7} {mine[1]:>7} {mine[2]:>7} {mine[3]:>7} | "
            f"{theirs[0]:>8} {theirs[1]:>6} {theirs[2]:>7} {theirs[3]:>7}"
        )
    return lines


def _loads(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _targets(pages: list[Result], fragments: list[Result]) -> list[str]:
    lines = [
        f"targets: first load <= {FIRST_LOAD_KB:g} KB compressed and <= {FIRST_LOAD_S:g} s on "
        f"the link; each fragment <= {FRAGMENT_KB:g} KB; server p95 <= {SERVER_P95_MS:g} ms"
    ]
    for page in pages:
        if page.absent:
            continue
        first_kb = _med([r.first.bytes for r in page.runs]) / KB
        media_kb = _med([r.first.media_bytes for r in page.runs]) / KB
        first_s = _med([r.first.seconds for r in page.runs])
        p95 = _med([r.server.p95_ms for r in page.runs])
        media = f" ({first_kb - media_kb:.1f} KB without the player's preload)" if media_kb else ""
        lines.append(
            f"  {page.name:<16} first {first_kb:6.1f} KB {_verdict(first_kb <= FIRST_LOAD_KB):<6} "
            f"{first_s:5.2f} s {_verdict(first_s <= FIRST_LOAD_S):<6} "
            f"server p95 {p95:6.1f} ms {_verdict(p95 <= SERVER_P95_MS)}{media}"
        )
    for fragment in fragments:
        if fragment.absent:
            continue
        size_kb = _med([t.wire_bytes for t, _ in fragment.timings]) / KB
        p95 = _med([t.p95_ms for t, _ in fragment.timings])
        lines.append(
            f"  {fragment.name:<26} {size_kb:6.1f} KB {_verdict(size_kb <= FRAGMENT_KB):<6} "
            f"server p95 {p95:6.1f} ms {_verdict(p95 <= SERVER_P95_MS)}"
        )
    return lines


def report(setting: Setting, pages: list[Result], fragments: list[Result]) -> str:
    notes = [f"{r.name}: {note}" for r in [*pages, *fragments] for note in r.notes]
    lines = [
        f"pages benchmark: a library of {setting.items} content items and a commune of "
        f"{setting.stations} stations, {setting.backend}; median of {setting.runs} run(s); "
        "the real `loaxa server` on loopback, signed in as an operator and approver of the commune",
        describe(),
        f"load average (1, 5, 15 min) before the runs {_loads(setting.load_before)}, after "
        f"{_loads(setting.load_after)}: other work on the machine shows in the times",
        f"the item page's audio: a {setting.audio_s:g} s bulletin as ingested",
        *notes,
        "",
        f"in Chromium over {setting.link.describe()}, phone size, vi-VN. KB: over the wire "
        "(encodedDataLength: compressed bodies and headers), every request of the page; media: "
        "of which the audio player's preload; first: an empty cache; repeat: the same page "
        "again, cache warm; s: loadEventEnd. JSON: the page's data from the API, fetched at "
        "once from the page with a Bearer token over the same link",
        *_browser_table(pages),
        "",
        f"the server: httpx on loopback, Accept-Encoding gzip, {setting.requests} requests a "
        "path and run (after 2 not counted), one after the other; gz KB: the body as sent; "
        "raw: decoded. JSON: the page's API paths asked one after the other (Bearer); its KB "
        "as sent (the API does not compress), gz KB what gzip -6 would make of it",
        *_server_table(pages, fragments),
        "",
        *_targets(pages, fragments),
    ]
    return "\n".join(lines) + "\n"
