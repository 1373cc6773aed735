"""Journeys through the library in a real browser: an operator types a bulletin, listens
and sends it; an approver is refused their own item and approves the colleague's, with the
keyboard alone; a recording from the fake microphone becomes an item; another commune's
operator sees none of it. Each page passes axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.auth.models import Role
from playlists.content.models import ContentStatus
from tests.playlists.content.factories import make_item
from tests.ui.conftest import (
    LAPTOP,
    PASSWORD,
    PHONE,
    UiSite,
    assert_accessible,
    main_menu,
    screenshot,
    tab_to,
)

TITLE = "Lịch tiêm phòng dại tháng 12"


def test_an_operator_types_a_bulletin_listens_and_sends_it(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "operator_a")
    main_menu(phone).get_by_role("link", name="Thư viện nội dung").click()
    expect(phone.get_by_role("heading", name="Thư viện nội dung")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_role("link", name="Tạo nội dung mới").click()
    assert_accessible(phone)
    screenshot(phone, "content-new-phone")
    phone.get_by_role("link", name="Gõ bản tin").click()

    phone.get_by_label("Tiêu đề").fill(TITLE)
    phone.get_by_label("Văn bản cần đọc").fill("Kính mời bà con đưa chó mèo đi tiêm phòng.")
    expect(phone.get_by_label("Giọng đọc")).to_have_value("vi")
    phone.get_by_role("button", name="Nghe thử").click()
    player = phone.locator("#listen-audio")
    expect(player).to_be_visible(timeout=30_000)
    seconds = player.evaluate(
        "a => new Promise(ok => a.readyState >= 1 ? ok(a.duration)"
        " : a.addEventListener('loadedmetadata', () => ok(a.duration)))"
    )
    assert seconds > 1, seconds  # the text read aloud, not an empty file
    assert_accessible(phone)
    screenshot(phone, "content-tts-phone")

    phone.get_by_role("button", name="Lưu bản nháp").click()
    expect(phone.get_by_role("status")).to_contain_text("đã được lưu thành bản nháp")
    expect(phone.locator("audio")).to_have_count(1)
    phone.get_by_role("button", name="Gửi duyệt").click()
    expect(phone.get_by_role("status")).to_contain_text("đã được gửi duyệt")
    expect(phone.locator(".badge.submitted")).to_have_text("chờ duyệt")
    history = phone.get_by_role("region", name="Lịch sử")
    expect(history).to_contain_text("đã gửi duyệt")
    expect(history).to_contain_text("operator_a")
    assert_accessible(phone)
    screenshot(phone, "content-item-phone")


def test_an_approver_is_refused_their_own_and_approves_the_colleagues_by_keyboard(
    ui: UiSite, phone: Page
) -> None:
    world = ui.world
    make_item(world, "A", title="Tin của đồng nghiệp", status=ContentStatus.submitted)
    make_item(world, "A", by="approver_a", title="Tin tự viết", status=ContentStatus.submitted)
    make_item(world, "B", title="Tin xã B", status=ContentStatus.submitted)

    phone.goto("/login")
    phone.get_by_label("Tên đăng nhập").focus()
    phone.keyboard.type("approver_a")
    phone.keyboard.press("Tab")
    phone.keyboard.type(PASSWORD)
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"{ui.server.url}/")
    tab_to(phone, "Trình đơn")  # a phone's menu is folded: Enter unfolds it
    phone.keyboard.press("Enter")
    tab_to(phone, "Duyệt nội dung")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Duyệt nội dung", exact=True)).to_be_visible()
    expect(phone.get_by_text("Tin xã B")).to_have_count(0)
    own = phone.get_by_role("article", name="Tin tự viết")
    expect(own).to_contain_text("nguyên tắc bốn mắt")
    assert_accessible(phone)
    screenshot(phone, "approvals-phone")

    own.get_by_role("button", name="Duyệt").focus()
    phone.keyboard.press("Enter")
    refused = phone.get_by_role("article", name="Tin tự viết").get_by_role("alert")
    expect(refused).to_contain_text("không thể tự duyệt (nguyên tắc bốn mắt)")

    theirs = phone.get_by_role("article", name="Tin của đồng nghiệp")
    theirs.get_by_role("button", name="Duyệt").focus()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status")).to_contain_text("“Tin của đồng nghiệp” đã được duyệt")
    expect(phone.get_by_role("article", name="Tin của đồng nghiệp")).to_have_count(0)


def test_a_recording_from_the_microphone_becomes_an_item(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "operator_a")
    phone.goto("/content/new/record")
    phone.get_by_label("Tiêu đề").fill("Bản ghi từ micrô")
    phone.get_by_role("button", name="Bắt đầu ghi âm").click()
    status = phone.locator("#record-status")
    expect(status).to_contain_text("Đang ghi âm… 2 giây", timeout=10_000)
    phone.get_by_role("button", name="Dừng").click()
    expect(status).to_contain_text("Đã ghi")
    expect(phone.locator("#record-audio")).to_be_visible()
    assert_accessible(phone)
    screenshot(phone, "content-record-phone")
    phone.get_by_role("button", name="Lưu bản nháp").click()
    expect(phone.get_by_role("status")).to_contain_text("“Bản ghi từ micrô” đã được lưu")
    expect(phone.get_by_text("tệp âm thanh")).to_be_visible()


def test_without_a_microphone_the_page_says_what_recording_needs(ui: UiSite, phone: Page) -> None:
    # As on a plain http:// address of the LAN: the browser hides the microphone API.
    phone.add_init_script("delete Navigator.prototype.mediaDevices")
    ui.sign_in(phone, "operator_a")
    phone.goto("/content/new/record")
    expect(phone.locator("#recorder-unavailable")).to_contain_text("https://")
    expect(phone.get_by_role("button", name="Bắt đầu ghi âm")).to_be_hidden()


def test_another_communes_operator_sees_none_of_it(ui: UiSite, phone: Page) -> None:
    world = ui.world
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    item = make_item(world, "A", title="Chỉ của xã A", status=ContentStatus.approved)
    ui.sign_in(phone, "operator_b")
    phone.goto("/content")
    expect(phone.get_by_text("Chỉ của xã A")).to_have_count(0)
    answer = phone.goto(f"/content/{item}")
    assert answer is not None and answer.status == 403
    expect(phone.get_by_role("alert")).to_contain_text("ngoài địa bàn của bạn")
    assert_accessible(phone)


def test_help_is_in_the_menu_and_starts_with_the_readers_role(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "approver_a")
    main_menu(phone).get_by_role("link", name="Hướng dẫn").click()
    sections = phone.locator("section.help h2")
    expect(sections.first).to_contain_text("Người duyệt")
    expect(phone.get_by_text("Nguyên tắc bốn mắt:")).to_be_visible()
    assert_accessible(phone)
    screenshot(phone, "help-phone")


def test_the_library_filters_in_place_and_is_a_table_on_a_laptop(ui: UiSite) -> None:
    world = ui.world
    make_item(world, "A", title="Loa phường: nhắc nộp thuế", status=ContentStatus.approved)
    make_item(world, "A1", title="Họp thôn A1 tối nay")
    context = ui.context(size=LAPTOP)
    page = context.new_page()
    ui.sign_in(page, "operator_a")
    page.goto("/content")
    rows = page.locator("#results tbody tr")
    expect(rows.filter(has_text="Họp thôn A1 tối nay")).to_have_count(1)
    page.get_by_label("Trạng thái").select_option(label="đã duyệt")
    expect(rows.filter(has_text="Họp thôn A1 tối nay")).to_have_count(0)
    expect(rows.filter(has_text="Loa phường: nhắc nộp thuế")).to_have_count(1)
    assert "status=approved" in page.url  # the filtered list is a link one can keep
    page.get_by_label("Tìm trong tiêu đề").fill("thuế")
    expect(rows).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "content-library-laptop")
    page.set_viewport_size(PHONE)
    screenshot(page, "content-library-phone")
    context.close()
