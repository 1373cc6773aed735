"""The playlist preview (Lịch phát) in a real browser, against the real server and its
scheduler: a session of commune A on two clusters, one bulletin that no longer fits, the
timeline refreshed after a rebuild, the week, and commune B refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from core.auth.models import Role
from playlists.timelines.models import StationBuild
from tests.e2e.processes import wait_for
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.ui.conftest import LAPTOP, UiSite, assert_accessible, main_menu, screenshot
from tests.web.schedule_factories import LATE_TITLE, weekday_session
from tests.web.schedule_factories import evening as make_evening
from tests.world import World

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
REBUILT_WITHIN_S = 20  # the test server's scheduler ticks every 0.2 s


@dataclass(frozen=True)
class Evening:
    stations: list[int]
    session_id: int


@pytest.fixture(scope="module", name="evening")
def the_evening(ui: UiSite) -> Evening:
    """Commune A: an evening session of 5 minutes on two clusters of village A1, with a
    3-minute bulletin and, after it, one of 3:05 that does not fit."""
    world = ui.world
    stations, session_id = make_evening(world)
    _wait_built(world, stations[0], lambda version: version >= 1)
    return Evening(stations, session_id)


def _version(world: World, station_id: int) -> int:
    with world.database.session() as session:
        found = session.exec(
            select(StationBuild.version).where(StationBuild.station_id == station_id)
        ).first()
        return found or 0


def _wait_built(world: World, station_id: int, done: Callable[[int], bool]) -> int:
    return wait_for(
        lambda: (v := _version(world, station_id)) and done(v) and v,
        timeout=REBUILT_WITHIN_S,
        what=f"station #{station_id} built",
    )


def _tomorrow() -> str:
    """The day the tests look at: built ahead, so all of it is in the plan whatever the hour
    they run (today's plan of record starts when these stations were first built)."""
    return (datetime.now(VIETNAM).date() + timedelta(days=1)).isoformat()


def _refresh(phone: Page) -> None:
    """What a phone does when its tab comes back to the front: the timeline asks again."""
    phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_the_day_shows_each_bulletin_at_its_time_with_what_did_not_fit(
    ui: UiSite, phone: Page, evening: Evening
) -> None:
    ui.sign_in(phone, "operator_a")
    main_menu(phone).get_by_role("link", name="Lịch phát").click()
    assert_accessible(phone)
    screenshot(phone, "schedule-picker-phone")
    phone.get_by_label("Cụm loa").select_option(str(evening.stations[0]))
    phone.get_by_label("Ngày").fill(_tomorrow())
    phone.get_by_role("button", name="Xem lịch phát").click()
    phone.wait_for_url(f"**/schedule/stations/{evening.stations[0]}?date={_tomorrow()}")

    timeline = phone.locator("#timeline")
    played = timeline.get_by_role("row").filter(has_text="Tin chiều")
    # 17:00 in Vietnam, though the browser's clock is New York's (05:00 there)
    expect(played).to_contain_text("17:00")
    expect(played).to_contain_text("3:00")
    expect(played).to_contain_text("thông thường")
    expect(played).to_contain_text("nối tiếp")
    expect(timeline.get_by_role("heading", level=3).first).to_contain_text("17:00–17:05")
    warned = timeline.get_by_role("row").filter(has_text=LATE_TITLE)
    expect(warned).to_contain_text("Không vừa: dài 3:05, quá phần còn lại của phiên phát.")
    expect(phone.locator("footer")).to_contain_text("giờ Việt Nam")
    assert_accessible(phone)
    screenshot(phone, "schedule-day-phone")

    # Nothing rebuilt: the timeline's question costs a 304 and the page stays as it is.
    with phone.expect_response(lambda r: "/timeline" in r.url) as unchanged:
        _refresh(phone)
    assert unchanged.value.status == 304
    expect(played).to_contain_text("17:00")

    # Another bulletin queued: the scheduler rebuilds, the timeline shows it.
    version = _version(ui.world, evening.stations[0])
    extra = approved_audio(ui.world, "A", seconds=60, title="Tin bổ sung")
    queue_into(ui.world, evening.session_id, extra, order=2)
    _wait_built(ui.world, evening.stations[0], lambda v: v > version)
    with phone.expect_response(lambda r: "/timeline" in r.url) as changed:
        _refresh(phone)
    assert changed.value.status == 200
    added = timeline.get_by_role("row").filter(has_text="Tin bổ sung")
    expect(added).to_contain_text("17:03")
    expect(warned).to_contain_text("Không vừa")


def test_the_area_shows_its_two_clusters_together(
    ui: UiSite, phone: Page, evening: Evening
) -> None:
    ui.sign_in(phone, "operator_a")
    phone.goto(f"/schedule/areas/{ui.world.areas['A']}?date={_tomorrow()}")
    plan = phone.get_by_role("region", name="2 cụm loa")
    expect(plan).to_contain_text("Tin chiều")
    plan.get_by_text("2 cụm loa phát lịch này").click()
    expect(plan.get_by_role("link")).to_have_count(2)
    assert_accessible(phone)
    screenshot(phone, "schedule-area-phone")


def test_the_week_shows_a_session_on_its_weekdays(
    ui: UiSite, phone: Page, evening: Evening
) -> None:
    weekday_session(ui.world, "Phiên sáng thứ Hai, Tư, Sáu", {0, 2, 4}, at=time(6, 0))
    ui.sign_in(phone, "operator_a")
    phone.goto(f"/schedule/stations/{evening.stations[1]}?date={_tomorrow()}")
    phone.get_by_role("link", name="Cả tuần").click()
    first = date.fromisoformat(_tomorrow())
    days = phone.locator("section.wday")
    expect(days).to_have_count(7)
    for offset in range(7):
        day = days.nth(offset)
        expect(day.get_by_role("heading", level=2)).to_contain_text(
            (first + timedelta(days=offset)).strftime("%d/%m/%Y")
        )
        expect(day).to_contain_text("17:00–17:05")  # every day
        if (first + timedelta(days=offset)).weekday() in (0, 2, 4):
            expect(day).to_contain_text("06:00–06:15 · Phiên sáng thứ Hai, Tư, Sáu")
            expect(day).to_contain_text("06:00 Tin sáng")
        else:
            expect(day).not_to_contain_text("Phiên sáng")
    assert_accessible(phone)
    screenshot(phone, "schedule-week-phone")
    # A day without the morning session says why its bulletin is not on the air.
    off = next(o for o in range(7) if (first + timedelta(days=o)).weekday() not in (0, 2, 4))
    days.nth(off).get_by_role("link", name="2 cảnh báo").click()
    timeline = phone.locator("#timeline")
    expect(
        timeline.get_by_role("heading", name="Phiên sáng thứ Hai, Tư, Sáu: không phát")
    ).to_be_visible()
    expect(timeline.get_by_role("row").filter(has_text="Tin sáng")).to_contain_text(
        "Phiên phát của bản tin này không phát ngày đó."
    )
    assert_accessible(phone)
    screenshot(phone, "schedule-day-off-air-phone")
    laptop = ui.context(size=LAPTOP)
    wide = laptop.new_page()
    ui.sign_in(wide, "operator_a")
    wide.goto(f"/schedule/stations/{evening.stations[1]}/week")
    expect(wide.locator("section.wday")).to_have_count(7)
    assert_accessible(wide)
    screenshot(wide, "schedule-week-laptop")
    laptop.close()


def test_an_operator_of_commune_b_is_refused(ui: UiSite, phone: Page, evening: Evening) -> None:
    ui.world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    ui.sign_in(phone, "operator_b")
    phone.goto("/schedule")
    expect(phone.get_by_text("Chưa có cụm loa nào trong địa bàn của bạn")).to_be_visible()
    answer = phone.goto(f"/schedule/stations/{evening.stations[0]}")
    assert answer is not None and answer.status == 403
    expect(phone.get_by_role("alert")).to_contain_text("Việc này nằm ngoài địa bàn của bạn")
    expect(phone.get_by_text("Tin chiều")).to_have_count(0)
    assert_accessible(phone)
    screenshot(phone, "schedule-refused-phone")


def test_the_day_of_an_operator_typed_approved_queued_and_previewed(
    ui: UiSite, phone: Page, evening: Evening
) -> None:
    """The issue's journey end to end: typed and sent by the operator, approved by the
    approver, queued into a session on its page, seen in the preview at its time with a
    warning for what no longer fits."""
    world = ui.world
    session_id = make_session(world, "A", start=time(19, 30), minutes=1)
    ui.sign_in(phone, "operator_a")
    phone.goto("/content/new/tts")
    phone.get_by_label("Tiêu đề").fill("Tin tối: lịch cắt điện")
    phone.get_by_label("Văn bản cần đọc").fill("Ngày mai thôn A1 cắt điện từ bảy giờ sáng.")
    phone.get_by_role("button", name="Lưu bản nháp").click()
    phone.get_by_role("button", name="Gửi duyệt").click()
    expect(phone.get_by_role("status")).to_contain_text("đã được gửi duyệt")
    phone.get_by_role("button", name="Đăng xuất").click()

    ui.sign_in(phone, "approver_a")
    phone.goto("/approvals")
    phone.get_by_role("article", name="Tin tối: lịch cắt điện").get_by_role(
        "button", name="Duyệt"
    ).click()
    expect(phone.get_by_role("status")).to_contain_text("đã được duyệt")
    phone.get_by_role("button", name="Đăng xuất").click()

    approved_audio(world, "A", seconds=75, title="Tin dài không vừa")
    ui.sign_in(phone, "operator_a")
    phone.goto(f"/sessions/{session_id}")
    for title in ("Tin tối: lịch cắt điện", "Tin dài không vừa"):
        phone.get_by_role("radio", name=re.compile(re.escape(title))).check()
        phone.get_by_role("button", name="Đưa vào hàng đợi").click()
        expect(phone.locator("#queue li strong").filter(has_text=title)).to_have_count(1)

    phone.goto(f"/schedule/stations/{evening.stations[0]}?date={_tomorrow()}")
    timeline = phone.locator("#timeline")
    # Each queued item sets off a rebuild: the page shows the one after the second.
    wait_for(
        lambda: phone.reload() and "Tin dài không vừa" in timeline.inner_text(),
        timeout=REBUILT_WITHIN_S,
        what="the preview after both entries",
    )
    typed = timeline.get_by_role("row").filter(has_text="Tin tối: lịch cắt điện")
    expect(typed).to_contain_text("19:30")  # Vietnam's evening, whatever the browser's zone
    late = timeline.get_by_role("row").filter(has_text="Tin dài không vừa")
    expect(late).to_contain_text("Không vừa")
