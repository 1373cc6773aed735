"""The pages benchmark in Chromium: Debian's chromium through Playwright (never `playwright
install`), each page over an emulated slow link (Chrome DevTools Protocol:
Network.emulateNetworkConditions), its bytes counted from Network.loadingFinished's
encodedDataLength (what came over the wire: compressed bodies and their headers), its load
time from the page's own Navigation Timing (loadEventEnd)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright

# The link of the issue: 400 kbit/s down and up, 400 ms round trip.
LINK_KBIT_S = 400
LINK_LATENCY_MS = 400
VIEWPORT = {"width": 390, "height": 844}  # a phone: the pages are phone first
NAVIGATION_TIMEOUT_MS = 120_000
SETTLE_MS = 250  # after "load": the network quiet this long, so late requests are counted
SIGN_IN_LABELS = ("Tên đăng nhập", "Mật khẩu", "Đăng nhập")


@dataclass(frozen=True, slots=True)
class Link:
    """The emulated link; 0 kbit/s: none (the loopback as it is)."""

    kbit_s: int = LINK_KBIT_S
    latency_ms: int = LINK_LATENCY_MS

    def describe(self) -> str:
        if self.kbit_s <= 0:
            return "no emulated link (loopback as it is)"
        return (
            f"an emulated link of {self.kbit_s} kbit/s down and up, {self.latency_ms} ms "
            "latency (CDP Network.emulateNetworkConditions)"
        )


@dataclass(slots=True)
class Load:
    """One navigation, or one set of fetches."""

    bytes: int = 0  # over the wire, every request, headers included
    media_bytes: int = 0  # of which audio/video (the item page's player preloads metadata)
    requests: int = 0
    from_cache: int = 0  # answered by the browser's cache, nothing transferred
    seconds: float = 0.0
    status: int = 0  # the document's (or the first fetch's) HTTP status
    urls: list[str] = field(default_factory=list)


class Wire:
    """Counts what one page's CDP session sees on the network."""

    def __init__(self, cdp: CDPSession, link: Link) -> None:
        self.cdp, self.link = cdp, link
        self._types: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self.load = Load()
        self._open: set[str] = set()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)
        cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        self._types[event["requestId"]] = event.get("type", "")
        self._urls[event["requestId"]] = event["request"]["url"]
        self._open.add(event["requestId"])

    def _received(self, event: dict[str, Any]) -> None:
        self._types[event["requestId"]] = event.get("type", self._types.get(event["requestId"], ""))

    def _cached(self, event: dict[str, Any]) -> None:
        self.load.from_cache += 1

    def _finished(self, event: dict[str, Any]) -> None:
        request = event["requestId"]
        self._open.discard(request)
        size = int(event.get("encodedDataLength", 0))
        self.load.bytes += size
        self.load.requests += 1
        self.load.urls.append(self._urls.get(request, "?"))
        if self._types.get(request) == "Media":
            self.load.media_bytes += size

    def _failed(self, event: dict[str, Any]) -> None:
        self._open.discard(event["requestId"])

    def start(self) -> None:
        self.load = Load()

    def quiet(self, page: Page, timeout_s: float = 30.0) -> None:
        """Until nothing has been in flight for SETTLE_MS (or timeout_s)."""
        deadline = time.monotonic() + timeout_s
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the CDP events meanwhile
            if self._open:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= SETTLE_MS / 1000:
                return

    def throttle(self, on: bool) -> None:
        on = on and self.link.kbit_s > 0
        rate = self.link.kbit_s * 1000 / 8 if on else -1
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": self.link.latency_ms if on else 0,
                "downloadThroughput": rate,
                "uploadThroughput": rate,
            },
        )

    def clear_cache(self) -> None:
        self.cdp.send("Network.clearBrowserCache")


LOAD_TIME_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return n.loadEventEnd - n.startTime;
}"""

FETCH_JS = """async ([paths, token]) => {
  const started = performance.now();
  const answers = await Promise.all(paths.map(async (path) => {
    const answer = await fetch(
      path, {headers: {Authorization: 'Bearer ' + token}, cache: 'no-store'});
    await answer.arrayBuffer();
    return answer.status;
  }));
  return [performance.now() - started, answers];
}"""


class Tab:
    """A browser context (its own cache and cookies) and its one page, with the wire."""

    def __init__(self, browser: Browser, base_url: str, link: Link) -> None:
        self.context: BrowserContext = browser.new_context(
            viewport=VIEWPORT,  # type: ignore[arg-type]
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            base_url=base_url,
        )
        self.context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.wire = Wire(self.context.new_cdp_session(self.page), link)

    def sign_in(self, username: str, password: str) -> str:
        """Through the real form, on a fast link; returns the session cookie's value."""
        name, secret, button = SIGN_IN_LABELS
        self.page.goto("/login")
        self.page.get_by_label(name).fill(username)
        self.page.get_by_label(secret).fill(password)
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_url(lambda url: not url.split("?")[0].endswith("/login"))
        cookies = {c.get("name"): c.get("value", "") for c in self.context.cookies()}
        return cookies.get("loaxa_session", "")

    def visit(self, path: str) -> Load:
        self.wire.start()
        answer = self.page.goto(path, wait_until="load")
        seconds = float(self.page.evaluate(LOAD_TIME_JS)) / 1000
        self.wire.quiet(self.page)
        load = self.wire.load
        load.seconds, load.status = seconds, answer.status if answer else 0
        return load

    def fetch(self, paths: list[str], token: str) -> Load:
        """The API's JSON for a page, fetched at once from the page (as a script would)."""
        self.wire.start()
        elapsed_ms, statuses = self.page.evaluate(FETCH_JS, [paths, token])
        self.wire.quiet(self.page)
        load = self.wire.load
        load.seconds, load.status = float(elapsed_ms) / 1000, max(statuses)
        return load

    def close(self) -> None:
        self.context.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if not executable:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium (scripts/setup.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()
