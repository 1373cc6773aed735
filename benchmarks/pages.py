"""Pages benchmark: each page's weight and speed, beside the same data as JSON from the API.

Setup (not measured; benchmarks/pages_setup.py): a new database (SQLite in a temporary
folder, or the EMPTY PostgreSQL database given by --database-url) holding one commune with
`--stations` stations and a library of `--items` content items, made through the data
functions, three of them real audio. Then the real `loaxa server` on loopback.

In Chromium (benchmarks/pages_browser.py), for each page of PAGES and each run: a new
browser context signs in through the real /login form; the cache is emptied; the page is
loaded over an emulated 400 kbit/s link with 400 ms latency (first load), then again
(repeat load, cache warm); then the page's data is fetched as JSON from the API over the
same link, with a Bearer token. Bytes are what came over the wire, load time the page's
loadEventEnd.

Against the server (httpx on loopback, gzip accepted): each page, each htmx fragment of
FRAGMENTS (asked with `HX-Request: true`) and each one's JSON asked `--requests` times one
after the other: p50 and p95 answer times, and the body's size as sent and decoded.

Targets: first load <= 100 KB compressed and <= 3 s on the link; each fragment <= 20 KB; the
server answers each page in <= 100 ms at p95. A path that answers 404 on the server under
test (a page not built yet) is reported as not present.

    .venv/bin/python -m benchmarks.pages                        # 10,000 items, 60 stations
    .venv/bin/python -m benchmarks.pages --runs 5 --requests 200
    .venv/bin/python -m benchmarks.pages --database-url postgresql+psycopg://…/empty_db
    .venv/bin/python -m benchmarks.pages --items 30 --stations 3 --runs 1 --requests 5  # tiny
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser

from benchmarks.agent_load_procs import Processes, Server, start_loaxa
from benchmarks.agent_load_setup import require_empty
from benchmarks.machine import doc_parser, run_script
from benchmarks.pages_browser import Link, Tab, chromium
from benchmarks.pages_report import PageRun, Result, Setting, Timing, percentile, report
from benchmarks.pages_setup import Stage, prepare
from core.clock import SystemClock
from migrations.upgrade import upgrade

WARMUP_REQUESTS = 2
HTTP_TIMEOUT_S = 60.0
SEARCH = quote("tiêm chủng")


@dataclass(frozen=True, slots=True)
class PageSpec:
    """A page, and the API paths that carry its data. Paths may name {item} (a real audio
    item), {relay}, {station}, {commune}, {stations} (how many) and {middle} (an offset
    half-way through the library)."""

    name: str
    path: str
    json: tuple[str, ...] = ()
    signed_in: bool = True


# One line a page: the pages still to come answer 404 until they are built.
PAGES = (
    PageSpec("sign-in", "/login", signed_in=False),
    PageSpec(
        "home",
        "/",
        (
            "/api/v1/content?status=submitted&limit=10",
            "/api/v1/sessions?limit=10",
            "/api/v1/stations?limit={stations}",
        ),
    ),
    PageSpec("library", "/content", ("/api/v1/content?limit=25",)),
    PageSpec(
        "item",
        "/content/{item}",
        ("/api/v1/content/{item}", "/api/v1/content?lineage_id={item}&limit=50"),
    ),
    PageSpec("approvals", "/approvals", ("/api/v1/content?status=submitted&limit=20",)),
    PageSpec("new bulletin", "/content/new/tts", ("/api/v1/content/voices",)),
    PageSpec("upload", "/content/new/upload", ("/api/v1/areas?limit=100",)),
    PageSpec("sessions", "/sessions", ("/api/v1/sessions?limit=25",)),
    PageSpec(
        "new session",
        "/sessions/new",
        ("/api/v1/areas?limit=500", "/api/v1/station-groups?limit=200"),
    ),
    PageSpec("schedule", "/schedule", ("/api/v1/stations?limit={stations}",)),
    PageSpec(
        "station's day", "/schedule/stations/{station}", ("/api/v1/stations/{station}/playlist",)
    ),
    PageSpec("reports", "/reports", ("/api/v1/reports/areas/{commune}/rollup?period=week",)),
    PageSpec(
        "area's report",
        "/reports/areas/{commune}?period=month",
        ("/api/v1/reports/areas/{commune}/rollup?period=month",),
    ),
    PageSpec(
        "station's log book",
        "/reports/stations/{station}/logbook",
        ("/api/v1/reports/stations/{station}/logbook",),
    ),
    PageSpec("stations board", "/stations", ("/api/v1/stations?limit={stations}",)),
    PageSpec(
        "station",
        "/stations/{station}",
        ("/api/v1/stations/{station}", "/api/v1/asrun?station_id={station}&limit=10"),
    ),
    PageSpec("as-run log", "/asrun", ("/api/v1/asrun?limit=50",)),
    PageSpec("alerts", "/alerts", ("/api/v1/alerts?limit=30",)),
    PageSpec("new alert", "/alerts/new?template=bao", ("/api/v1/areas?limit=500",)),
    PageSpec("broadcast now", "/broadcasts", ("/api/v1/broadcasts?limit=30",)),
    PageSpec(
        "new broadcast",
        "/broadcasts/new",
        ("/api/v1/areas?limit=500", "/api/v1/content?status=approved&kind=audio&limit=200"),
    ),
    PageSpec("administration", "/admin", ("/api/v1/areas?limit=100",)),
    # /admin/areas sends one to one's own top area: this page.
    PageSpec(
        "area", "/admin/areas/{commune}", ("/api/v1/areas/{commune}", "/api/v1/users?limit=50")
    ),
    PageSpec("area's policy", "/admin/areas/{commune}/policy", ("/api/v1/areas/{commune}/policy",)),
    PageSpec("users", "/admin/users", ("/api/v1/users?limit=50",)),
    PageSpec("new user", "/admin/users/new", ("/api/v1/areas?limit=500",)),
    PageSpec("groups", "/admin/groups", ("/api/v1/station-groups?limit=200",)),
)

# htmx fragments, asked with HX-Request: true, and the JSON that carries the same rows.
FRAGMENTS = (
    PageSpec("library results", "/content?q=&status=&kind=&tier=", ("/api/v1/content?limit=25",)),
    PageSpec("library search", f"/content?q={SEARCH}", (f"/api/v1/content?q={SEARCH}&limit=25",)),
    PageSpec(
        "library filtered",
        "/content?status=approved&kind=audio&tier=priority",
        ("/api/v1/content?status=approved&kind=audio&tier=priority&limit=25",),
    ),
    PageSpec(
        "library mid-way", "/content?offset={middle}", ("/api/v1/content?offset={middle}&limit=25",)
    ),
    PageSpec("relay check", "/content/{relay}/relay-check", ("/api/v1/content/{relay}",)),
    PageSpec(
        "station's timeline",
        "/schedule/stations/{station}/timeline",
        ("/api/v1/stations/{station}/playlist",),
    ),
    # The status board's poll once something changed (a 200; an unchanged one is a 204).
    PageSpec("stations board", "/stations/board", ("/api/v1/stations?limit={stations}",)),
)


def say(message: str) -> None:
    sys.stderr.write(f"[pages {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def _fill(path: str, stage: Stage) -> str:
    return path.format(
        item=stage.item_id,
        relay=stage.relay_id,
        station=stage.station_id,
        commune=stage.commune_id,
        stations=min(stage.stations, 500),
        middle=stage.items // 2 // 25 * 25,
    )


class Http:
    """httpx against the server: the pages with the browser's session cookie, the API with
    a Bearer token; gzip accepted, Vietnamese asked for."""

    def __init__(self, base: str, cookie: str, token: str) -> None:
        headers = {"Accept-Encoding": "gzip", "Accept-Language": "vi-VN,vi;q=0.9"}
        self.pages = httpx.Client(
            base_url=base,
            headers=headers,
            cookies={"loaxa_session": cookie},
            timeout=HTTP_TIMEOUT_S,
        )
        self.api = httpx.Client(
            base_url=base,
            headers={**headers, "Authorization": f"Bearer {token}"},
            timeout=HTTP_TIMEOUT_S,
        )

    def status(self, path: str, *, signed_in: bool) -> int:
        client = self.pages if signed_in else httpx.Client(base_url=self.pages.base_url)
        return client.get(path, follow_redirects=False).status_code

    def time(self, paths: list[str], requests: int, *, api: bool, fragment: bool = False) -> Timing:
        client = self.api if api else self.pages
        headers = {"HX-Request": "true"} if fragment else {}
        samples: list[float] = []
        timing = Timing()
        for number in range(WARMUP_REQUESTS + requests):
            began = time.perf_counter()
            answers = [client.get(path, headers=headers) for path in paths]
            elapsed = time.perf_counter() - began
            if number >= WARMUP_REQUESTS:
                samples.append(elapsed * 1000)
        timing.status = max(a.status_code for a in answers)
        timing.wire_bytes = sum(a.num_bytes_downloaded for a in answers)
        timing.raw_bytes = sum(len(a.content) for a in answers)
        timing.gzip_bytes = sum(len(gzip.compress(a.content, 6)) for a in answers)
        timing.p50_ms, timing.p95_ms = percentile(samples, 0.50), percentile(samples, 0.95)
        return timing

    def close(self) -> None:
        self.pages.close()
        self.api.close()


def _login(base: str, stage: Stage) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"username": stage.username, "password": stage.password},
        timeout=HTTP_TIMEOUT_S,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


class Bench:
    def __init__(self, args: argparse.Namespace, server: Server, stage: Stage) -> None:
        self.args, self.server, self.stage = args, server, stage
        self.link = Link(args.link_kbit, args.link_latency_ms)
        self.token = _login(server.base, stage)
        self.pages = [Result(p.name, _fill(p.path, stage)) for p in PAGES]
        self.fragments = [Result(f.name, _fill(f.path, stage)) for f in FRAGMENTS]

    def run(self, number: int) -> None:
        say(f"run {number}/{self.args.runs}: Chromium on the slow link")
        with chromium() as browser:
            cookie = self._browser(browser)
        say(f"run {number}/{self.args.runs}: the server, {self.args.requests} requests a path")
        http = Http(self.server.base, cookie, self.token)
        try:
            self._server(http, number)
        finally:
            http.close()

    def _browser(self, browser: Browser) -> str:
        """Every page in Chromium; returns the session cookie it signed in with."""
        signed_out = Tab(browser, self.server.base, self.link)
        tab = Tab(browser, self.server.base, self.link)
        try:
            cookie = tab.sign_in(self.stage.username, self.stage.password)
            if not cookie:
                raise RuntimeError("signing in through /login set no loaxa_session cookie")
            self._probe(cookie)
            for spec, result in zip(PAGES, self.pages, strict=True):
                if result.absent:
                    continue
                self._page(signed_out if not spec.signed_in else tab, spec, result)
        finally:
            signed_out.close()
            tab.close()
        return cookie

    def _probe(self, cookie: str) -> None:
        """Which pages and fragments the server under test has (404: not present)."""
        if any(r.runs or r.timings or r.absent for r in self.pages):
            return
        http = Http(self.server.base, cookie, self.token)
        try:
            for spec, result in [
                *zip(PAGES, self.pages, strict=True),
                *zip(FRAGMENTS, self.fragments, strict=True),
            ]:
                found = http.status(result.path, signed_in=spec.signed_in)
                result.absent = found == 404
                if found not in (200, 404):
                    result.notes.append(f"{result.path} answered {found}")
        finally:
            http.close()
        absent = [r.name for r in [*self.pages, *self.fragments] if r.absent]
        if absent:
            say(f"not present on this server: {', '.join(absent)}")

    def _page(self, tab: Tab, spec: PageSpec, result: Result) -> None:
        tab.wire.throttle(False)
        tab.wire.clear_cache()
        tab.wire.throttle(True)
        try:
            first = tab.visit(result.path)
            repeat = tab.visit(result.path)
            json = (
                tab.fetch([_fill(p, self.stage) for p in spec.json], self.token)
                if spec.json
                else None
            )
        finally:
            tab.wire.throttle(False)
        if first.status != 200 and not result.notes:
            result.notes.append(f"the browser got {first.status} for {result.path}")
        if not tab.page.url.endswith(result.path):
            result.notes.append(f"the browser ended on {tab.page.url}")
        result.runs.append(PageRun(first, repeat, json, Timing(), None))
        say(
            f"  {spec.name}: first {first.bytes / 1000:.1f} KB in {first.seconds:.2f} s, "
            f"repeat {repeat.bytes / 1000:.1f} KB in {repeat.seconds:.2f} s"
            + (f"; JSON {json.bytes / 1000:.1f} KB in {json.seconds:.2f} s" if json else "")
        )

    def _server(self, http: Http, number: int) -> None:
        requests = self.args.requests
        for spec, result in zip(PAGES, self.pages, strict=True):
            if result.absent:
                continue
            run = result.runs[number - 1]
            if spec.signed_in:
                run.server = http.time([result.path], requests, api=False)
            else:
                signed_out = Http(self.server.base, "", self.token)
                run.server = signed_out.time([result.path], requests, api=False)
                signed_out.close()
            if spec.json:
                paths = [_fill(p, self.stage) for p in spec.json]
                run.json_server = http.time(paths, requests, api=True)
        for spec, result in zip(FRAGMENTS, self.fragments, strict=True):
            if result.absent:
                continue
            own = http.time([result.path], requests, api=False, fragment=True)
            paths = [_fill(p, self.stage) for p in spec.json]
            json = http.time(paths, requests, api=True) if paths else None
            result.timings.append((own, json))


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = doc_parser(__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="content items in the library")
    parser.add_argument("--stations", type=int, default=60, help="stations in the commune")
    parser.add_argument("--runs", type=int, default=3, help="runs (median)")
    parser.add_argument(
        "--requests", type=int, default=100, help="server requests a path and run (p50, p95)"
    )
    parser.add_argument(
        "--audio-seconds",
        type=float,
        default=120.0,
        help="the length of the real audio items (the item page's player)",
    )
    parser.add_argument(
        "--link-kbit", type=int, default=400, help="the emulated link, down and up; 0: none"
    )
    parser.add_argument(
        "--link-latency-ms", type=int, default=400, help="the emulated link's latency"
    )
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database; default: a new SQLite file"
    )
    args = parser.parse_args(argv)
    if args.audio_seconds <= 0:
        parser.error("--audio-seconds must be positive")
    if args.items < 4:
        parser.error("--items must be at least 4 (real audio and a relay among them)")
    for name in ("stations", "runs", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, list[Result]]:
    args = _parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="loaxa-bench-pages-"))
    processes = Processes(folder)
    url = args.database_url or f"sqlite:///{folder / 'loaxa.db'}"
    try:
        require_empty(url)
        upgrade(url)
        data_dir = folder / "data"
        data_dir.mkdir()
        began = time.monotonic()
        stage = prepare(
            url,
            data_dir,
            items=args.items,
            stations=args.stations,
            audio_s=args.audio_seconds,
            now=SystemClock().now(),
            say=say,
        )
        say(f"set up in {time.monotonic() - began:.0f} s; starting the server")
        bench = Bench(args, start_loaxa(processes, url, data_dir), stage)
        load_before = os.getloadavg()
        for number in range(1, args.runs + 1):
            bench.run(number)
        load_after = os.getloadavg()
    finally:
        processes.stop_all()
        shutil.rmtree(folder, ignore_errors=True)
    backend = url.split(":", 1)[0].split("+")[0]
    setting = Setting(
        items=args.items,
        stations=args.stations,
        runs=args.runs,
        requests=args.requests,
        backend=backend,
        link=bench.link,
        audio_s=args.audio_seconds,
        load_before=load_before,
        load_after=load_after,
    )
    sys.stdout.write(report(setting, bench.pages, bench.fragments))
    return {"pages": bench.pages, "fragments": bench.fragments}


if __name__ == "__main__":
    run_script(main, say, "the server stopped, the temporary folder removed")
