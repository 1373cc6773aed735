"""The stations' pages (Cụm loa) in a real browser against the real server: an admin adds a
cluster, a real `loaxa agent` enrols with the code the page shows, the board shows it
online without a reload and offline once the agent is killed; revoking asks first; an
admin of one commune cannot reach another's clusters."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.agent_site import FAST
from tests.e2e.processes import Agent
from tests.stations.factories import make_station
from tests.stations.fleet.factories import add_asrun, record
from tests.ui.conftest import UiSite, assert_accessible, assert_fits, main_menu, screenshot

# A board asks every second; a station is offline after 3 s without a heartbeat (the
# agent sends one a second), so "offline" shows a few seconds after the kill.
SERVER_SETTINGS = {"LOAXA_BOARD_REFRESH_S": "1", "LOAXA_STATION_OFFLINE_AFTER_S": "3"}


def test_an_admin_adds_a_cluster_and_the_board_follows_its_pi(
    ui: UiSite, phone: Page, tmp_path: Path
) -> None:
    ui.sign_in(phone, "admin_a")
    main_menu(phone).get_by_role("link", name="Cụm loa").click()
    phone.get_by_role("link", name="Thêm cụm loa").click()
    phone.get_by_role("button", name="Thêm cụm loa").click()  # nothing filled in
    expect(phone.locator("#name-error")).to_contain_text("bắt buộc")
    assert_accessible(phone)
    phone.get_by_label("Tên").fill("Cụm loa thôn Đông")
    phone.get_by_label("Địa bàn").select_option(label="\u00a0\u00a0A1")
    phone.get_by_role("button", name="Thêm cụm loa").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã thêm cụm loa")
    phone.get_by_role("button", name="Tạo mã đăng ký").click()
    code = phone.locator("#enrol-code").inner_text().strip()
    expect(phone.locator("#install-command")).to_contain_text(f"--enroll {code}")
    expect(phone.get_by_role("button", name="Sao chép mã")).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "stations-code-phone")
    assert_accessible(phone)
    station_url = phone.url.split("/code")[0]

    phone.goto("/stations")
    phone.evaluate("window.notReloaded = true")
    row = phone.locator("tr", has_text="Cụm loa thôn Đông")
    expect(row).to_contain_text("chưa kết nối")
    agent = Agent(
        ui.server.url, tmp_path / "pi", tmp_path, "--enroll", code, "--no-playout", *FAST
    ).start()
    try:
        expect(row.locator(".badge")).to_have_text("hoạt động", timeout=20_000)
        assert phone.evaluate("window.notReloaded") is True
        assert_fits(phone)
        screenshot(phone, "stations-board-phone")
        assert_accessible(phone)
    finally:
        agent.kill()
    expect(row.locator(".badge")).to_have_text("mất kết nối", timeout=20_000)
    assert phone.evaluate("window.notReloaded") is True
    expect(phone.locator(".headline")).to_contain_text("mất kết nối")

    phone.goto(station_url)
    expect(phone.get_by_role("heading", name="Cụm loa thôn Đông")).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "stations-station-phone")
    assert_accessible(phone)
    phone.get_by_role("link", name="Thu hồi…").click()
    phone.get_by_role("button", name="Có, thu hồi").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã thu hồi")
    expect(phone.locator(".heading .badge")).to_have_text("đã thu hồi")


def test_an_admin_of_one_commune_cannot_reach_anothers_clusters(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "admin_a")
    phone.goto(f"/stations?area={ui.world.areas['B']}")
    expect(phone.get_by_role("alert")).to_be_visible()
    phone.goto("/stations")
    expect(phone.locator("main")).not_to_contain_text("B1")


def test_the_as_run_log_marks_what_did_not_play_and_downloads_on_a_phone(
    ui: UiSite, phone: Page
) -> None:
    station = make_station(ui.world, "A1")
    add_asrun(
        ui.world,
        station,
        record(),
        record(result="failed", started_at=None, ended_at=None, error="VLC không mở được tệp"),
    )
    ui.sign_in(phone, "supervisor_a")
    phone.goto("/stations")
    phone.get_by_role("link", name="Nhật ký phát sóng").click()
    failed = phone.locator("tr.row-attention", has_text="VLC không mở được tệp")
    expect(failed).to_contain_text("Lỗi")
    phone.get_by_label("Kết quả").select_option(label="Lỗi")
    phone.get_by_role("button", name="Xem").click()
    expect(phone.locator("table.asrun tbody tr")).to_have_count(1)
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Tải về CSV").click()
    assert download.value.suggested_filename == "nhat-ky-phat-song.csv"
    assert_fits(phone)
    screenshot(phone, "asrun-log-phone")
    assert_accessible(phone)
