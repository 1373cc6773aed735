"""The home page by role: what waits for each person, in their areas only."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.auth.models import Role
from playlists.content.models import ContentStatus
from tests.playlists.content.factories import make_item
from tests.ui.conftest import UiSite, assert_accessible, screenshot


def test_the_approver_sees_what_waits_and_the_operator_what_came_back(
    ui: UiSite, phone: Page
) -> None:
    world = ui.world
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    make_item(world, "A", status=ContentStatus.submitted, title="Lịch tiêm phòng dại")
    make_item(world, "A", by="duty_a", status=ContentStatus.submitted, title="Tin của trực ban")
    make_item(world, "B", by="operator_a", status=ContentStatus.submitted, title="Tin xã B")
    make_item(world, "A", status=ContentStatus.rejected, title="Thông báo họp thôn")

    ui.sign_in(phone, "duty_a")
    waiting = phone.get_by_role("region", name="2 bản tin đang chờ duyệt")
    expect(waiting).to_contain_text("Lịch tiêm phòng dại")
    own = waiting.locator("li", has_text="Tin của trực ban")
    expect(own).to_contain_text("cần một người duyệt khác duyệt (nguyên tắc bốn mắt)")
    expect(phone.get_by_text("Tin xã B")).to_have_count(0)  # commune B: outside duty_a's area
    assert_accessible(phone)
    screenshot(phone, "home-approver-phone")

    phone.get_by_role("button", name="Đăng xuất").click()
    ui.sign_in(phone, "operator_a")
    returned = phone.get_by_role("region", name="Bản tin của bạn bị trả lại để sửa")
    expect(returned).to_contain_text("Thông báo họp thôn")
    expect(returned).to_contain_text("Lý do: không đạt")
