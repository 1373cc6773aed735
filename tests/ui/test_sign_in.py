"""Signing in and out of the pages, in Vietnamese first, at phone size."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.ui.conftest import LAPTOP, UiSite, screenshot


def test_a_wrong_password_is_said_in_vietnamese_and_keeps_the_username(
    ui: UiSite, phone: Page
) -> None:
    phone.goto("/")  # not signed in: to the sign-in page, coming back here after
    expect(phone).to_have_url(f"{ui.server.url}/login?next=/")
    expect(phone.get_by_role("heading", name="Đăng nhập Loaxa")).to_be_visible()
    phone.get_by_label("Tên đăng nhập").fill("operator_a")
    phone.get_by_label("Mật khẩu").fill("không đúng")
    phone.get_by_role("button", name="Đăng nhập").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "Sai tên đăng nhập hoặc mật khẩu. Hãy kiểm tra rồi thử lại."
    )
    expect(phone.get_by_label("Tên đăng nhập")).to_have_value("operator_a")
    screenshot(phone, "sign-in-refused-phone")


def test_an_operator_signs_in_sees_the_home_page_and_signs_out(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "operator_a")
    expect(phone.get_by_role("heading", name="Xin chào, operator_a")).to_be_visible()
    expect(phone.get_by_role("heading", name="Phiên phát hôm nay")).to_be_visible()
    # The area's zone, named; not the browser's (New York).
    expect(phone.locator("footer")).to_have_text("Thời gian tính theo giờ Việt Nam.")
    cookie = next(c for c in phone.context.cookies() if c["name"] == "loaxa_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    screenshot(phone, "home-operator-phone")
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone).to_have_url(f"{ui.server.url}/login")
    phone.goto("/")
    expect(phone).to_have_url(f"{ui.server.url}/login?next=/")


def test_the_language_follows_the_browser_then_the_users_choice(ui: UiSite) -> None:
    context = ui.context(size=LAPTOP, locale="en-US")
    page = context.new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in to Loaxa")).to_be_visible()
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.get_by_role("heading", name="Đăng nhập Loaxa")).to_be_visible()
    screenshot(page, "sign-in-laptop")
    context.close()


def test_a_form_posted_without_its_token_is_refused(ui: UiSite, phone: Page) -> None:
    ui.sign_in(phone, "operator_a")
    answer = phone.request.post("/logout", form={"csrf_token": "forged"})
    assert answer.status == 403 and "Biểu mẫu này đã cũ" in answer.text()
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Xin chào, operator_a")).to_be_visible()
