"""Real-browser tests: Debian's chromium through Playwright, against the real `loaxa server`
on loopback. One server and one browser per module; a page that asks anything of another
host fails its test (no CDN, nothing from outside)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from core.db import Database
from migrations.upgrade import upgrade
from playlists.content.storage import LocalStorage
from tests.e2e.processes import Server
from tests.world import PASSWORD, World, build_world

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
# A zone far from Vietnam's: a time shown in the browser's zone instead of the area's shows.
BROWSER_ZONE = "America/New_York"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@dataclass
class UiSite:
    server: Server
    world: World
    browser: Browser
    # Where the server keeps its content files: a test stores real audio there.
    data_dir: Path
    foreign: list[str] = field(default_factory=list)

    @property
    def storage(self) -> LocalStorage:
        return LocalStorage(self.data_dir / "content")

    def context(self, *, size: dict[str, int] = PHONE, locale: str = "vi-VN") -> BrowserContext:
        context = self.browser.new_context(
            viewport=size,  # type: ignore[arg-type]
            locale=locale,
            timezone_id=BROWSER_ZONE,
            base_url=self.server.url,
        )
        context.route("**/*", self._only_ours)
        return context

    def _only_ours(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if f"{url.scheme}://{url.netloc}" != self.server.url:
            self.foreign.append(route.request.url)
            route.abort()
            return
        route.continue_()

    def sign_in(self, page: Page, username: str) -> None:
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{self.server.url}/")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: apt-get install chromium (scripts/setup.sh)"
    launched = playwright.chromium.launch(
        executable_path=executable,
        args=[
            "--no-sandbox",
            "--disable-dev-shm-usage",
            # A microphone that plays a tone, allowed without asking: recording is tested.
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
        ],
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def ui(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[UiSite]:
    """The module's server: its settings (LOAXA_… variables) from the module's
    SERVER_SETTINGS, if it has one."""
    tmp = tmp_path_factory.mktemp("ui")
    url = f"sqlite:///{tmp / 'loaxa.db'}"
    upgrade(url)
    database = Database(url)
    world = build_world(database)
    settings = getattr(request.module, "SERVER_SETTINGS", None)
    server = Server(url, tmp / "data", tmp, settings=settings).start()
    site = UiSite(server, world, browser, tmp / "data")
    try:
        yield site
    finally:
        server.stop()
        database.dispose()
    assert site.foreign == [], "pages asked for files from outside our server"


@pytest.fixture
def phone(ui: UiSite) -> Iterator[Page]:
    context = ui.context(size=PHONE)
    yield context.new_page()
    context.close()


def main_menu(page: Page) -> Locator:
    """The main menu, unfolded first where it is folded (a phone shows it so)."""
    menu = page.get_by_role("navigation", name="Trình đơn chính")
    summary = menu.locator("details.menu > summary")
    if summary.is_visible() and not menu.locator("details.menu").evaluate("d => d.open"):
        summary.click()
    return menu


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits(phone: Page) -> None:
    """Nothing wider than the phone: the page never scrolls sideways (a chart's own box may).
    Measured once the fonts are in (a fallback font's wider text is not the page's)."""
    phone.evaluate("document.fonts.ready.then(() => true)")
    widths = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    wider = phone.evaluate(_WIDER)
    assert widths[0] <= widths[1], (
        f"the page is {widths[0]} px wide on a {widths[1]} px phone: {wider}"
    )


# The innermost elements that reach past the phone's right edge, to say what to fix.
_WIDER = """(() => {
  const past = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
  const where = e => `${e.tagName.toLowerCase()}.${e.className}`
    + ` ${Math.round(e.getBoundingClientRect().right)}px`
    + `: ${(e.textContent || "").trim().slice(0, 60)}`;
  return [...document.querySelectorAll("body *")]
    .filter(e => past(e) && ![...e.children].some(past)).slice(0, 5).map(where);
})()"""


AXE = Axe()
SERIOUS = ("serious", "critical")


def assert_accessible(page: Page) -> None:
    """axe-core (bundled with axe-playwright-python) finds nothing serious or critical."""
    results = AXE.run(page)
    found = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
    ]
    assert not found, f"{page.url}: " + "; ".join(details)


def tab_to(page: Page, name: str, *, presses: int = 60) -> None:
    """Moves the focus with the Tab key alone until it is on the control named `name`."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return e ? "
            "(e.getAttribute('aria-label') || e.innerText || e.value || '').trim() : ''; }"
        )
        if focused == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


@pytest.fixture
def operator_b(ui: UiSite) -> str:
    """An operator of commune B, who must see nothing of commune A's."""
    from core.auth.models import Role

    if "operator_b" not in ui.world.users:
        ui.world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    return "operator_b"


@pytest.fixture
def phone_without_js(ui: UiSite) -> Iterator[Page]:
    """A phone whose browser runs no JavaScript: the pages must work as plain forms."""
    context = ui.browser.new_context(
        viewport=PHONE,  # type: ignore[arg-type]
        locale="vi-VN",
        timezone_id=BROWSER_ZONE,
        base_url=ui.server.url,
        java_script_enabled=False,
    )
    context.route("**/*", ui._only_ours)
    yield context.new_page()
    context.close()
