"""Broadcast sessions and their queue in a real browser, at phone size: an operator creates
a session with weekdays and targets ticked from the area tree, gets a wrong start time
pointed out beside it without losing the rest, queues approved bulletins and reorders
them; an operator of commune B sees none of it."""

from __future__ import annotations

import re
from datetime import time

from playwright.sync_api import Page, expect

from playlists.sessions import policy
from playlists.sessions.models import PolicyIn, QuietHoursIn
from tests.ui.conftest import LAPTOP, SCREENSHOTS, UiSite, assert_accessible, main_menu, screenshot
from tests.web.factories import approved_recording
from tests.world import SYSTEM, World, now


def _limits(world: World) -> None:
    """Commune A: 30 minutes at most, quiet from 22:00 to 05:00; village A1 also rests on
    Sundays."""
    commune = PolicyIn(
        max_session_length_s=30 * 60, quiet_hours=[QuietHoursIn(start=time(22), end=time(5))]
    )
    with world.database.session(write=True) as session:
        for area, own in (("A", commune), ("A1", PolicyIn(days_off=[6]))):
            policy.set_policy(
                session=session, area_id=world.areas[area], policy_in=own, actor=SYSTEM, now=now()
            )
        session.commit()


def test_an_operator_makes_a_session_queues_and_reorders(
    ui: UiSite, phone: Page, operator_b: str
) -> None:
    _limits(ui.world)
    approved_recording(ui.world, "Tin thời tiết")
    approved_recording(ui.world, "Lịch tiêm chủng")
    ui.sign_in(phone, "operator_a")
    main_menu(phone).get_by_role("link", name="Phiên phát", exact=True).click()
    expect(phone.get_by_text("Chưa có phiên phát nào trong địa bàn của bạn.")).to_be_visible()
    assert_accessible(phone)
    screenshot(phone, "sessions-empty-phone")

    phone.get_by_role("link", name="Phiên phát mới").click()
    limits = phone.get_by_role("region", name="Giới hạn đang áp dụng ở địa bàn này")
    expect(limits).to_contain_text("30 phút")
    expect(limits).to_contain_text("22:00–05:00")
    expect(limits).not_to_contain_text("Chủ Nhật")
    phone.get_by_role("combobox", name="Địa bàn").select_option(str(ui.world.areas["A1"]))
    expect(limits).to_contain_text("Chủ Nhật")  # htmx brought A1's limits
    expect(limits).to_contain_text("22:00–05:00")  # inherited from the commune
    phone.get_by_label("Tên").fill("Bản tin sáng")
    phone.get_by_label("Giờ bắt đầu").fill("7 giờ sáng")
    phone.get_by_label("Thời lượng (phút)", exact=True).fill("15")
    for day in ("Thứ Hai", "Thứ Tư", "Thứ Sáu"):
        phone.get_by_role("checkbox", name=day, exact=True).check()
    phone.get_by_role("checkbox", name="A1", exact=True).check()
    phone.get_by_role("button", name="Tạo phiên phát").click()

    start = phone.get_by_label("Giờ bắt đầu")
    expect(phone.locator("#start-error")).to_have_text("Hãy nhập giờ theo dạng GG:PP, ví dụ 06:30.")
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_value("7 giờ sáng")
    expect(phone.get_by_label("Tên")).to_have_value("Bản tin sáng")
    expect(phone.get_by_role("checkbox", name="Thứ Tư", exact=True)).to_be_checked()
    expect(phone.get_by_role("checkbox", name="Thứ Ba", exact=True)).not_to_be_checked()
    expect(phone.get_by_role("checkbox", name="A1", exact=True)).to_be_checked()
    assert_accessible(phone)
    screenshot(phone, "sessions-start-error-phone")
    form = phone.locator("form.session-form")
    form.screenshot(path=str(SCREENSHOTS / "sessions-form-close-phone.png"))

    start.fill("05:30")
    phone.get_by_role("button", name="Tạo phiên phát").click()
    expect(phone.get_by_role("heading", name="Bản tin sáng")).to_be_visible()
    expect(phone.get_by_role("status")).to_contain_text("Đã lưu")
    session_url = phone.url.split("?")[0]

    # Queue two approved bulletins, the first found by searching.
    phone.get_by_label("Tìm bản tin đã duyệt").fill("thời tiết")
    expect(phone.locator("#picker label.pick")).to_have_count(1)
    phone.get_by_role("radio", name=re.compile("Tin thời tiết")).check()
    phone.get_by_role("button", name="Đưa vào hàng đợi").click()
    expect(phone.locator("#queue li strong")).to_have_text(["Tin thời tiết"])
    phone.get_by_role("radio", name=re.compile("Lịch tiêm chủng")).check()
    phone.get_by_role("button", name="Đưa vào hàng đợi").click()
    expect(phone.locator("#queue li strong")).to_have_text(["Tin thời tiết", "Lịch tiêm chủng"])

    phone.evaluate("window.samePage = true")
    phone.get_by_role("button", name="Chuyển “Lịch tiêm chủng” lên").click()
    expect(phone.locator("#queue li strong")).to_have_text(["Lịch tiêm chủng", "Tin thời tiết"])
    assert phone.evaluate("window.samePage === true"), "htmx swaps the queue, not the page"
    assert_accessible(phone)
    screenshot(phone, "sessions-queue-phone")
    phone.locator("#queue").screenshot(path=str(SCREENSHOTS / "sessions-queue-close-phone.png"))
    phone.locator("#add").screenshot(path=str(SCREENSHOTS / "sessions-add-close-phone.png"))
    phone.reload()  # the order is stored, not only shown
    expect(phone.locator("#queue li strong")).to_have_text(["Lịch tiêm chủng", "Tin thời tiết"])

    phone.goto("/sessions")
    row = phone.locator("table.list tr", has_text="Bản tin sáng")
    expect(row).to_contain_text("05:30")
    expect(row).to_contain_text("Thứ Hai, Thứ Tư, Thứ Sáu")
    assert_accessible(phone)
    screenshot(phone, "sessions-list-phone")

    phone.get_by_role("button", name="Đăng xuất").click()
    ui.sign_in(phone, operator_b)
    phone.goto("/sessions")
    expect(phone.get_by_text("Bản tin sáng")).to_have_count(0)
    phone.goto(session_url)
    expect(phone.get_by_role("alert")).to_have_text(
        "Việc này nằm ngoài địa bàn của bạn: vai trò của bạn không cho phép ở đó."
    )
    expect(phone.get_by_text("Tin thời tiết")).to_have_count(0)
    assert_accessible(phone)
    screenshot(phone, "sessions-refused-phone")


def test_the_session_form_at_laptop_size(ui: UiSite) -> None:
    context = ui.context(size=LAPTOP)
    page = context.new_page()
    ui.sign_in(page, "operator_a")
    page.goto("/sessions/new")
    expect(page.get_by_role("group", name="Nơi phát")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sessions-new-laptop")
    context.close()
