"""The supervisors' pages (Báo cáo) in a real browser against the real server: yesterday
of village A1 (two bulletins; one cluster aired both, one late; the other never heard
from), from the dashboard down to a bulletin, proof of play, and the periodic report."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from alerts.feeds.models import CapFeed
from tests.alerts.feed_factories import make_feed
from tests.e2e.processes import wait_for
from tests.reports.history import TITLES, History, reported_day
from tests.ui.conftest import LAPTOP, UiSite, assert_accessible, assert_fits, main_menu, screenshot

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def history(ui: UiSite) -> History:
    yesterday = datetime.now(VIETNAM).date() - timedelta(days=1)
    return reported_day(ui.world, yesterday)


def test_a_supervisor_goes_from_the_dashboard_down_to_a_clusters_day(
    ui: UiSite, phone: Page, history: History
) -> None:
    ui.sign_in(phone, "supervisor_a")
    menu = main_menu(phone)
    menu.get_by_role("link", name="Báo cáo").click()
    expect(phone.get_by_role("heading", name="Báo cáo", exact=True)).to_be_visible()
    tiles = phone.locator("dl.tiles")
    expect(tiles).to_contain_text("Phát đúng kế hoạch, 7 ngày")
    expect(tiles).to_contain_text("50%")  # 2 of the 4 bulletins due aired in full
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "reports-dashboard-phone")
    phone.get_by_role("link", name="A1").click()
    expect(phone.get_by_role("heading", name="Báo cáo của A1")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("link", name="Sổ nhật ký phát sóng của").first.click()
    expect(phone.get_by_role("heading", name="Sổ nhật ký phát sóng của")).to_be_visible()
    screenshot(phone, "reports-logbook-phone")
    assert_accessible(phone)
    phone.locator(f"a[href$='/days/{history.day}']").first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(history.day.strftime("%d/%m/%Y"))
    body = phone.locator("main")
    expect(body).to_contain_text(TITLES[0])
    expect(body).to_contain_text("Phát trễ")  # the second bulletin, 10 s late
    screenshot(phone, "reports-station-day-phone")
    assert_accessible(phone)


def test_an_areas_report_on_a_laptop(ui: UiSite, history: History) -> None:
    context = ui.context(size=LAPTOP)
    laptop = context.new_page()
    try:
        ui.sign_in(laptop, "supervisor_a")
        laptop.goto(f"/reports/areas/{ui.world.areas['A']}?period=week&date={history.day}")
        expect(laptop.locator("figure.chart").first).to_be_visible()
        screenshot(laptop, "reports-area-laptop")
        assert_accessible(laptop)
    finally:
        context.close()


def test_the_filter_says_what_is_wrong_beside_the_field(
    ui: UiSite, phone: Page, history: History
) -> None:
    ui.sign_in(phone, "supervisor_a")
    phone.goto(f"/reports/areas/{ui.world.areas['A']}")
    phone.get_by_label("Kỳ báo cáo").select_option("range")
    phone.get_by_label("Từ ngày (cho “Từ ngày – đến ngày”)").fill("2026-12-05")
    phone.get_by_label("Đến ngày", exact=True).fill("2026-12-01")
    phone.get_by_role("button", name="Xem báo cáo").click()
    expect(phone.locator("#to-error")).to_have_text("Ngày kết thúc đứng trước ngày bắt đầu.")
    assert_accessible(phone)


def test_proof_of_play_is_found_by_a_word_of_the_title(
    ui: UiSite, phone: Page, history: History
) -> None:
    ui.sign_in(phone, "supervisor_a")
    phone.goto("/reports")
    phone.get_by_role("link", name="Bằng chứng phát sóng").click()
    phone.get_by_label("Tiêu đề bản tin").fill("tiêm")
    phone.get_by_role("button", name="Tìm").click()
    phone.get_by_role("link", name=TITLES[1]).click()
    expect(phone.get_by_role("link", name="PDF")).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "reports-proof-phone")
    assert_accessible(phone)


def test_the_periodic_report_is_generated_with_its_signers(
    ui: UiSite, phone: Page, history: History
) -> None:
    ui.sign_in(phone, "supervisor_a")
    phone.goto(f"/reports/areas/{ui.world.areas['A']}/periodic?date={history.day}")
    phone.get_by_label("Người lập biểu").fill("Nguyễn Thị Hoa")
    phone.get_by_role("button", name="Xem báo cáo").click()
    phone.get_by_role("button", name="Lập báo cáo").click()
    expect(phone.get_by_role("status")).to_contain_text("Báo cáo đã được lập")
    expect(phone.get_by_label("Người lập biểu")).to_have_value("Nguyễn Thị Hoa")
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Excel (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot(phone, "reports-periodic-phone")
    assert_accessible(phone)


def test_the_alerts_page_shows_a_silent_cap_feed_on_a_phone(
    ui: UiSite, phone: Page, history: History
) -> None:
    feed = make_feed(ui.world, "A", url="http://feeds.invalid/cap.atom")

    def failed() -> bool:  # the real server's poller tried it: no such host
        with ui.world.database.session() as session:
            row = session.get(CapFeed, feed.id)
            return row is not None and row.failures > 0

    wait_for(failed, timeout=20, what="the feed polled and failed")
    ui.sign_in(phone, "supervisor_a")
    phone.goto("/reports/alerts")
    feeds = phone.get_by_role("region", name="Nguồn tin cảnh báo CAP")
    expect(feeds).to_contain_text(f"{feed.name} im lặng:")
    expect(feeds).to_contain_text("lần đọc gần nhất bị lỗi: http://feeds.invalid/cap.atom")
    assert_accessible(phone)
    assert_fits(phone)
    screenshot(phone, "reports-alerts-feeds-phone")
