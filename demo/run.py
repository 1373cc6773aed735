"""`loaxa demo`: start the server, seed it, start two agents, follow what they play, and
stop everything cleanly on Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import httpx

from audio.vlc_player import has_sound_card
from demo import cast
from demo.bootstrap import bootstrap_admin
from demo.client import ApiError
from demo.jingle import JingleError
from demo.layout import DemoError, Layout, fresh_layout
from demo.processes import (
    HOST,
    Child,
    port_is_free,
    start_agent,
    start_server,
    wait_until_ready,
)
from demo.report import Where, summary, where_to_look
from demo.seed import SeedPlan, seed
from demo.timing import seconds_until
from demo.watch import Watch

Out = Callable[[str], None]
POLL_S = 1.0


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    root: Path
    port: int
    until_played: bool = False
    timeout_s: float | None = None
    wav: bool = False
    audio_output: str | None = None
    lead_s: float = 35.0


@dataclass
class Running:
    """What has been started so far, for the shutdown whenever it comes."""

    began: float = field(default_factory=time.monotonic)
    children: list[Child] = field(default_factory=list)
    watch: Watch | None = None


class Stopped(Exception):
    """A signal asked the demo to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


def _now() -> datetime:
    return datetime.now(UTC)


def run_demo(*, options: DemoOptions, out: Out, err: Out) -> int:
    """Run the demo; the exit code: 0 when it ends as asked, 1 when it cannot go on."""
    if not port_is_free(options.port):
        err(f"error: port {options.port} is in use (another Loaxa server?): pass --port")
        return 1
    running = Running()
    with _signals_stop():
        try:
            layout = fresh_layout(options.root)
            _start(options, layout, running, out)
            return _follow(options, running, out, err)
        except Stopped as stop:
            out(f"\n{stop}: stopping the stations, then the server…")
            return 0
        except (DemoError, ApiError, JingleError, httpx.HTTPError) as exc:
            err(f"error: {exc}")
            return 1
        finally:
            with _signals_ignored():
                _stop(running, out)


def _start(options: DemoOptions, layout: Layout, running: Running, out: Out) -> None:
    children = running.children
    url = f"http://{HOST}:{options.port}"
    admin, *others = cast.new_people()
    out(f"Loaxa demo in {layout.root}")
    bootstrap_admin(database_url=layout.database_url, admin=admin, now=_now())
    children.append(start_server(layout=layout, port=options.port))
    wait_until_ready(server=children[0], url=url)
    out(f"server ready on {url} (SQLite: {layout.database_url})")
    out(f"  the web pages are at {url}/ ; the sign-ins follow once the demo data is in")
    plan = SeedPlan(
        base_url=url,
        admin=admin,
        people=tuple(others),
        work_dir=layout.work_dir,
        now=_now,
        lead_s=options.lead_s,
    )
    seeded = seed(plan=plan, say=lambda line: out(f"  {line}"))
    capture = options.wav or (options.audio_output is None and not has_sound_card())
    running.watch = Watch(url=url, admin=admin, seeded=seeded, layout=layout, capture=capture)
    for number, station in enumerate(seeded.stations, start=1):
        children.append(
            start_agent(
                layout=layout,
                number=number,
                url=url,
                code=station.enrollment_code,
                capture=capture,
                output=options.audio_output,
            )
        )
    where = Where(
        url=url,
        layout=layout,
        seeded=seeded,
        capture=capture,
        starts_in_s=seconds_until(moment=seeded.start.utc, now=_now()),
    )
    for line in where_to_look(where):
        out(line)


def _follow(options: DemoOptions, running: Running, out: Out, err: Out) -> int:
    watch, children = running.watch, running.children
    assert watch is not None  # set once seeding is done, before the agents start
    # Counted from the start of the run, so that --timeout bounds the whole demo in CI.
    deadline = None if options.timeout_s is None else running.began + options.timeout_s
    while True:
        _check_children(children)
        for line in watch.poll():
            out(line)
        if options.until_played and watch.log.complete():
            return _verdict(watch, out, err)
        if deadline is not None and time.monotonic() > deadline:
            err(f"error: timed out after {options.timeout_s:.0f} s; {watch.still_waiting()}")
            return 1
        time.sleep(POLL_S)


def _verdict(watch: Watch, out: Out, err: Out) -> int:
    failures = watch.log.failures()
    if failures:
        err(f"error: {len(failures)} item(s) did not play; see the as-run log above")
        return 1
    out("Every station reported every item of the session.")
    return 0


def _check_children(children: list[Child]) -> None:
    for child in children:
        if not child.alive():
            raise DemoError(
                f"{child.name} exited with code {child.popen.returncode} "
                f"(see {child.log}):\n{child.tail()}"
            )


def _stop(running: Running, out: Out) -> None:
    """Agents first, so the records they still hold reach the server, then the server."""
    children, watch = running.children, running.watch
    agents, server = children[1:], children[:1]
    for child in agents:
        child.stop()
    if watch is not None and server and server[0].alive():
        # The last records, uploaded as the agents stopped; a server already gone has none.
        with contextlib.suppress(httpx.HTTPError, ApiError):
            for line in watch.poll():
                out(line)
    for child in server:
        child.stop()
    if children:
        out("stopped: the stations and the server")
    if watch is not None:
        names = {s.id: s.name for s in watch.seeded.stations}
        for line in summary(counts=watch.log.counts(), names=names, captures=watch.captures()):
            out(line)
        watch.close()


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGINT and SIGTERM raise Stopped wherever the demo is, once."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """While the children stop, a second Ctrl-C must not cut the shutdown short."""
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
