"""Uploading a file from a phone: the transfer's progress, then the server's steps, then
the new item; a file that is not audio is refused beside the file field, nothing typed lost."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect
from sqlmodel import select

from playlists.content.jobs import IngestJob
from playlists.content.models import ContentItem
from tests.audio.sounds import tone
from tests.ui.conftest import UiSite, assert_accessible, screenshot

STEP_ORDER = ["probe", "loudness", "encode", "done"]
# Slower than a phone's 4G uplink, so the transfer is seen going, not only finished.
UPLOAD_BYTES_PER_S = 400_000
# What the page showed, as it changed: the transfer's words and the job's state and step.
RECORD_CHANGES = """
window.__seen = {sent: [], job: []};
document.addEventListener("DOMContentLoaded", () => {
  const said = document.getElementById("transfer-said");
  const slot = document.getElementById("job-slot");
  if (!said || !slot) return;
  new MutationObserver(() => window.__seen.sent.push(said.textContent))
    .observe(said, {childList: true, characterData: true, subtree: true});
  new MutationObserver(() => {
    const job = slot.firstElementChild;
    if (job) window.__seen.job.push([job.dataset.state, job.dataset.step]);
  }).observe(slot, {childList: true});
});
"""


def _open_form(ui: UiSite, page: Page) -> None:
    page.add_init_script(RECORD_CHANGES)
    ui.sign_in(page, "operator_a")
    page.goto("/content/new/upload")
    expect(page.get_by_role("heading", name="Tải lên tệp âm thanh")).to_be_visible()


def _slow_uplink(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_S,
        },
    )


def _percents(sent: list[str]) -> list[int]:
    return [int(m.group(1)) for text in sent if (m := re.match(r"(\d+) %", text))]


def test_an_upload_shows_the_transfer_then_the_servers_steps(
    ui: UiSite, phone: Page, tmp_path: Path, operator_b: str
) -> None:
    # Two minutes of 64 kbit/s MP3: about 1 MB to send, then a few seconds of processing.
    source = tone(tmp_path / "thong-bao-tiem-phong.mp3", seconds=120, level_db=-28)
    _open_form(ui, phone)
    phone.get_by_label("Tệp âm thanh").set_input_files(source)
    phone.get_by_label("Tiêu đề").fill("Thông báo lịch tiêm phòng")
    phone.get_by_label("Mức độ").select_option("priority")
    screenshot(phone, "upload-form-phone")
    assert_accessible(phone)
    _slow_uplink(phone)
    phone.get_by_role("button", name="Tải lên và xử lý").click()

    said = phone.locator("#transfer-said")
    expect(said).to_contain_text(re.compile(r"^([1-9]|[1-9]\d) % — đã gửi"), timeout=20_000)
    screenshot(phone, "upload-sending-phone")
    expect(said).to_contain_text(re.compile(r"^100 % — đã gửi 0,9 MB / 0,9 MB$"), timeout=60_000)
    expect(phone.locator("#transfer-bar")).to_have_js_property("value", 100)

    job = phone.get_by_role("region", name="Máy chủ đang xử lý")
    expect(job.locator("li")).to_have_text(
        [
            re.compile("Đọc tệp"),
            re.compile("Đo âm lượng"),
            re.compile("Chuẩn hoá âm lượng và mã hoá"),
            re.compile("Lưu vào thư viện nội dung"),
        ]
    )
    expect(job.locator("li[aria-current=step]")).to_have_count(1)  # a step under way
    screenshot(phone, "upload-processing-phone")
    expect(job).to_have_attribute("data-state", "done", timeout=60_000)
    expect(job.locator("li.done")).to_have_count(4)
    link = phone.get_by_role("link", name="Mở bản tin")
    expect(link).to_have_attribute("href", re.compile(r"^/content/\d+$"))
    expect(link).to_be_focused()
    screenshot(phone, "upload-done-phone")
    assert_accessible(phone)

    seen: dict[str, Any] = phone.evaluate("window.__seen")
    percents = _percents(seen["sent"])
    assert percents == sorted(percents) and percents[-1] == 100, percents
    assert any(0 < p < 100 for p in percents), percents  # seen going, not only done
    states = [state for state, _ in seen["job"]]
    assert states[-1] == "done" and "running" in states, seen["job"]
    steps = [STEP_ORDER.index(step) for _, step in seen["job"]]
    assert steps == sorted(steps), seen["job"]  # the steps in their order, none skipped back

    item_id = int(link.get_attribute("href").rsplit("/", 1)[1])  # type: ignore[union-attr]
    with ui.world.database.session() as session:
        item = session.get(ContentItem, item_id)
        assert item is not None and item.title == "Thông báo lịch tiêm phòng"
        assert item.tier.value == "priority" and item.duration_s is not None
        assert abs(item.duration_s - 120) < 1
        job_id = session.exec(select(IngestJob.id).where(IngestJob.item_id == item_id)).one()
    # Commune B's operator, sent the job's address, sees a refusal and nothing of it.
    phone.get_by_role("button", name="Đăng xuất").click()
    ui.sign_in(phone, operator_b)
    answer = phone.goto(f"/content/uploads/{job_id}")
    assert answer is not None and answer.status == 403
    expect(phone.get_by_text("Thông báo lịch tiêm phòng")).to_have_count(0)


def test_a_file_that_is_not_audio_is_refused_beside_the_file_field(
    ui: UiSite, phone: Page, tmp_path: Path
) -> None:
    junk = tmp_path / "bien-ban-hop-thon.mp3"
    junk.write_text("Biên bản họp thôn Đông, không phải âm thanh.\n" * 200)
    _open_form(ui, phone)
    title = phone.get_by_label("Tiêu đề")
    title.fill("Họp thôn Đông")
    phone.get_by_label("Mức độ").select_option("emergency")
    file_field = phone.get_by_label("Tệp âm thanh")
    file_field.set_input_files(junk)
    phone.get_by_role("button", name="Tải lên và xử lý").click()

    error = phone.locator(".field:has(#file) .field-error")
    expect(error).to_have_text(
        "Đây không phải tệp âm thanh: hãy chọn một tệp âm thanh (MP3, WAV, M4A, OGG…).",
        timeout=30_000,
    )
    expect(file_field).to_have_attribute("aria-invalid", "true")
    expect(file_field).to_be_focused()
    expect(title).to_have_value("Họp thôn Đông")
    expect(phone.get_by_label("Mức độ")).to_have_value("emergency")
    expect(phone.get_by_role("button", name="Tải lên và xử lý")).to_be_enabled()
    screenshot(phone, "upload-refused-phone")
    assert_accessible(phone)


def test_without_javascript_the_form_posts_and_the_job_page_follows(
    ui: UiSite, phone_without_js: Page, tmp_path: Path
) -> None:
    page = phone_without_js
    source = tone(tmp_path / "hop-dan.mp3", seconds=30, level_db=-24)
    ui.sign_in(page, "operator_a")
    page.goto("/content/new/upload")
    page.get_by_label("Tệp âm thanh").set_input_files(source)
    page.get_by_label("Tiêu đề").fill("Mời họp dân thôn Đông")
    page.get_by_role("button", name="Tải lên và xử lý").click()
    page.wait_for_url(re.compile(r"/content/uploads/\d+$"))
    job = page.get_by_role("region", name="Máy chủ đang xử lý")
    expect(job).to_be_visible()
    # The page reloads itself (a Refresh header, no script) until the item is made.
    expect(job).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.get_by_role("link", name="Mở bản tin")).to_have_attribute(
        "href", re.compile(r"^/content/\d+$")
    )
    screenshot(page, "upload-nojs-done-phone")

    junk = tmp_path / "ghi-chu.wav"
    junk.write_text("không phải âm thanh")
    page.goto("/content/new/upload")
    page.get_by_label("Tệp âm thanh").set_input_files(junk)
    page.get_by_label("Tiêu đề").fill("Ghi chú họp")
    page.get_by_role("button", name="Tải lên và xử lý").click()
    page.wait_for_url(re.compile(r"/content/uploads/\d+$"))
    error = page.locator(".field:has(#file) .field-error")
    expect(error).to_contain_text("Đây không phải tệp âm thanh", timeout=60_000)
    expect(page.get_by_label("Tiêu đề")).to_have_value("Ghi chú họp")
    screenshot(page, "upload-nojs-refused-phone")
