"""The emergency pages (Khẩn cấp) in a real browser against the real server, with two real
agents playing into WAV capture: an operator drafts a typhoon alert from its template, an
approver issues it, and the delivery board fills in by itself as both clusters
acknowledge, receive and finish it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_site import FAST, saved_version
from tests.e2e.processes import Agent, wait_for
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.ui.conftest import UiSite, assert_accessible, assert_fits, main_menu, screenshot

SERVER_SETTINGS = {"LOAXA_BOARD_REFRESH_S": "1"}
SHORT = "Bão số 3 đổ bộ. Bà con ở trong nhà."  # a few seconds of speech


def _agents(ui: UiSite, tmp: Path) -> list[Agent]:
    agents = []
    for name in ("pi-1", "pi-2"):
        code = enrollment_code(ui.world, make_station(ui.world, "A1"))
        args = ("--enroll", code, "--capture-dir", str(tmp / f"{name}-played"), *FAST)
        agents.append(Agent(ui.server.url, tmp / name, tmp, *args).start())
    for agent in agents:
        wait_for(
            lambda agent=agent: saved_version(agent.data_dir) is not None,  # type: ignore[misc]
            timeout=30,
            what="the agent's first manifest",
            log=agent.log,
        )
    return agents


@pytest.fixture
def approver_phone(ui: UiSite) -> Page:
    context = ui.context()
    page = context.new_page()
    ui.sign_in(page, "approver_a")
    return page


def test_a_typhoon_alert_is_drafted_issued_and_followed_live_to_both_clusters(
    ui: UiSite, phone: Page, approver_phone: Page, tmp_path: Path
) -> None:
    agents = _agents(ui, tmp_path)
    try:
        ui.sign_in(phone, "operator_a")
        main_menu(phone).get_by_role("link", name="Khẩn cấp").click()
        phone.get_by_role("link", name="Bão", exact=True).click()
        expect(phone.get_by_label("Nội dung loa phát")).to_contain_text("Bà con không ra khơi")
        phone.get_by_label("Nội dung loa phát").fill("")
        phone.get_by_role("button", name="Gửi bản tin").click()  # nothing to say, no area
        expect(phone.locator("#text-error")).to_be_visible()
        expect(phone.get_by_label("A", exact=True)).to_be_checked()  # the operator's commune
        phone.get_by_label("Nội dung loa phát").fill(SHORT)
        phone.get_by_label("Số lần phát").select_option("1")
        assert_fits(phone)
        screenshot(phone, "alerts-new-phone")
        assert_accessible(phone)
        phone.get_by_role("button", name="Gửi bản tin").click()
        expect(phone.get_by_role("status")).to_contain_text("Đã gửi duyệt")
        alert_url = phone.url.split("?")[0]

        approver_phone.goto(alert_url)
        approver_phone.evaluate("window.notReloaded = true")
        approver_phone.get_by_role("button", name="Phát lệnh ngay").click()
        expect(approver_phone.get_by_role("status")).to_contain_text("Đã phát lệnh")
        approver_phone.evaluate("window.notReloaded = true")
        rows = approver_phone.locator("table.delivery tbody tr")
        expect(rows).to_have_count(2)
        for row in range(2):
            expect(rows.nth(row)).to_contain_text("đã phát xong", timeout=40_000)
        assert approver_phone.evaluate("window.notReloaded") is True
        expect(approver_phone.locator("dl.tiles")).to_contain_text("Đã phát xong2")
        assert_fits(approver_phone)
        screenshot(approver_phone, "alerts-delivery-phone")
        assert_accessible(approver_phone)
    finally:
        for agent in agents:
            agent.kill()
    for name in ("pi-1", "pi-2"):
        played = list((tmp_path / f"{name}-played").glob("*.wav"))
        assert played, f"{name} captured nothing"
