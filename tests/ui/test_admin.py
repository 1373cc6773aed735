"""The Administration pages (Quản trị) in a real browser against the real server: the
folded main menu on a phone, browsing the area tree and adding an area, importing a
province with its progress followed in place, a password reset shown once, and an area's
broadcast rules with the inherited values beside the fields."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.audit.chain import Actor
from core.auth.models import Role
from playlists.sessions.models import PolicyIn
from playlists.sessions.policy import set_policy
from tests.ui.conftest import (
    LAPTOP,
    UiSite,
    assert_accessible,
    assert_fits,
    main_menu,
    screenshot,
)
from tests.world import now


def test_the_menu_is_folded_on_a_phone_and_whole_on_a_laptop(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "admin_p")
    menu = phone.get_by_role("navigation", name="Trình đơn chính")
    expect(menu.get_by_role("link", name="Quản trị")).to_be_hidden()
    assert_fits(phone)
    screenshot(phone, "menu-folded-phone")
    main_menu(phone)
    expect(menu.get_by_role("link", name="Quản trị")).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "menu-open-phone")
    assert_accessible(phone)
    laptop = ui.context(size=LAPTOP).new_page()
    try:
        ui.sign_in(laptop, "operator_a")
        bar = laptop.get_by_role("navigation", name="Trình đơn chính")
        expect(bar.get_by_role("link", name="Cụm loa")).to_be_visible()  # no unfolding
        expect(bar.get_by_role("link", name="Quản trị")).to_have_count(0)  # not an admin
        header = laptop.locator("header.bar").bounding_box()
        assert header is not None and header["height"] < 70  # an operator's ten on one row
        laptop.get_by_role("button", name="Đăng xuất").click()
        ui.sign_in(laptop, "admin_p")
        bar.get_by_role("link", name="Quản trị").click()
        expect(laptop.get_by_role("heading", name="Quản trị")).to_be_visible()
        screenshot(laptop, "admin-laptop")
        header = laptop.locator("header.bar").bounding_box()
        assert header is not None and header["height"] < 70  # an admin's eleven on one row
        assert_fits(laptop)
    finally:
        laptop.context.close()


def test_an_admin_browses_the_tree_and_adds_an_area(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "admin_p")
    main_menu(phone).get_by_role("link", name="Quản trị").click()
    phone.get_by_role("link", name="Địa bàn").first.click()
    expect(phone.get_by_role("heading", name="P", exact=True)).to_be_visible()
    phone.get_by_role("link", name="A", exact=True).click()
    crumbs = phone.get_by_role("navigation", name="Vị trí hiện tại")
    expect(crumbs.get_by_role("link", name="P", exact=True)).to_be_visible()
    phone.get_by_role("button", name="Thêm địa bàn").click()  # nothing typed
    expect(phone.locator("#name-error")).to_contain_text("bắt buộc")
    phone.get_by_label("Tên", exact=True).fill("Thôn Bắc")
    phone.get_by_label("Cấp", exact=True).fill("village")
    phone.get_by_role("button", name="Thêm địa bàn").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã thêm địa bàn")
    expect(phone.get_by_role("heading", name="Thôn Bắc", exact=True)).to_be_visible()
    assert_fits(phone)
    screenshot(phone, "admin-area-phone")
    assert_accessible(phone)
    crumbs.get_by_role("link", name="A", exact=True).click()
    expect(phone.locator("main")).to_contain_text("Thôn Bắc")


def test_a_national_admin_imports_a_province_and_follows_it(ui: UiSite, phone: Page) -> None:
    ui.world.add_user("admin_vn", area="Việt Nam", roles={Role.admin: "Việt Nam"})
    ui.sign_in(phone, "admin_vn")
    phone.goto("/admin")
    phone.get_by_role("link", name="Nhập danh mục địa bàn chính thức").click()
    phone.get_by_label("Nhập những gì").select_option(label="Lai Châu")
    phone.get_by_role("button", name="Bắt đầu nhập").click()
    phone.evaluate("window.notReloaded = true")
    expect(phone.locator("#import-result")).to_contain_text("39 tạo mới", timeout=30_000)
    expect(phone.locator("#import-job")).to_have_attribute("data-state", "done")
    assert phone.evaluate("window.notReloaded") is True  # htmx swapped the part in place
    assert_fits(phone)
    screenshot(phone, "admin-import-phone")
    assert_accessible(phone)


def test_a_reset_password_is_shown_once(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "admin_a")
    phone.goto("/admin/users")
    assert_fits(phone)
    screenshot(phone, "admin-users-phone")
    phone.get_by_role("link", name="plain_a", exact=True).click()
    phone.get_by_role("button", name="Đặt lại mật khẩu").click()
    shown = phone.locator("#new-password")
    expect(shown).to_be_visible()
    password = shown.inner_text().strip()
    assert len(password) == 14
    assert_fits(phone)
    screenshot(phone, "admin-password-phone")
    assert_accessible(phone)
    phone.get_by_role("navigation", name="Vị trí hiện tại").get_by_role(
        "link", name="Người dùng và vai trò"
    ).click()
    phone.get_by_role("link", name="plain_a", exact=True).click()
    expect(phone.locator("main")).not_to_contain_text(password)
    expect(phone.locator("#new-password")).to_have_count(0)


def test_an_areas_rules_show_what_they_inherit(ui: UiSite, phone: Page) -> None:
    with ui.world.database.session(write=True) as session:
        set_policy(
            session=session,
            area_id=ui.world.areas["P"],
            policy_in=PolicyIn(max_session_length_s=30 * 60),
            actor=Actor(id=None, name="setup"),
            now=now(),
        )
        session.commit()
    ui.sign_in(phone, "admin_a")
    phone.goto(f"/admin/areas/{ui.world.areas['A']}")
    phone.get_by_role("link", name="Quy định phát").click()
    expect(phone.locator("#max_session_length_s-inherit")).to_have_text(
        "Để trống thì kế thừa: 30 phút (từ P)"
    )
    phone.get_by_label("Thời lượng tối đa một phiên phát, phút").fill("nửa giờ")
    phone.get_by_role("button", name="Lưu quy định").click()
    expect(phone.locator("#max_session_minutes-error")).to_be_visible()
    expect(phone.get_by_label("Thời lượng tối đa một phiên phát, phút")).to_have_value("nửa giờ")
    phone.get_by_label("Thời lượng tối đa một phiên phát, phút").fill("20")
    phone.get_by_role("button", name="Lưu quy định").click()
    expect(phone.get_by_role("status")).to_contain_text("Đã lưu quy định")
    expect(phone.locator("#policy")).to_contain_text("20 phút")
    assert_fits(phone)
    screenshot(phone, "admin-policy-phone")
    assert_accessible(phone)
