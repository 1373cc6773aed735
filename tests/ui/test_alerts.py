"""The emergency pages (Khẩn cấp) in a real browser against the real server, with two real
agents playing into WAV capture: an operator drafts a typhoon alert from its template, an
approver issues it, and the delivery board fills in by itself as both clusters
acknowledge, receive and finish it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from core.auth.models import Role
from stations.fleet.models import AsRun
from tests.audio.compare import correlation, decode
from tests.audio.sounds import noise
from tests.e2e.agent_site import FAST, saved_version
from tests.e2e.processes import Agent, wait_for
from tests.e2e.test_agent_playout import LEAD, ZONE
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import queue_into
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrollment_code
from tests.stations.fleet.scenario import stored_sound
from tests.ui.conftest import UiSite, assert_accessible, assert_fits, main_menu, screenshot

SERVER_SETTINGS = {"LOAXA_BOARD_REFRESH_S": "1"}
SHORT = "Bão số 3 đổ bộ. Bà con ở trong nhà."  # a few seconds of speech


def _agents(ui: UiSite, tmp: Path, names: tuple[str, ...] = ("pi-1", "pi-2")) -> list[Agent]:
    agents = []
    for name in names:
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


def _records(ui: UiSite, station_id: int) -> list[AsRun]:
    with ui.world.database.session() as session:
        query = select(AsRun).where(AsRun.station_id == station_id)
        return sorted(session.exec(query).all(), key=lambda r: (r.occurred_at, r.item_id or ""))


def _issue_at_once(phone: Page) -> None:
    phone.get_by_label("Phát lệnh ngay, không cần người duyệt thứ hai").check()


def test_broadcast_now_cuts_the_session_then_the_schedule_resumes_and_stop_silences_it(
    ui: UiSite, phone: Page, tmp_path: Path
) -> None:
    """Phát ngay and Dừng phát while a session plays on a real agent (VLC into WAV capture):
    the captured audio is the bulletin cut, the ordered notice, the bulletin again where the
    clock says; a stop silences it until it is lifted; the delivery board follows live."""
    world = ui.world
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    bulletin = stored_sound(
        world, "A", ui.storage, noise(tmp_path / "b.opus", seconds=40.0, seed=41)
    )
    notice = stored_sound(world, "A", ui.storage, noise(tmp_path / "n.opus", seconds=3.0, seed=42))
    begins = (datetime.now(ZONE) + LEAD).replace(microsecond=0)
    session_id = make_session(world, "A", start=begins.time(), minutes=2)
    queue_into(world, session_id, bulletin.content_id)
    # A village of its own: the other test's clusters in A1 are not part of this order.
    village = world.fresh_name("Thôn ")
    world.add_area(village, "A", "village")
    station_id = make_station(world, village)
    capture = tmp_path / "played"
    code = enrollment_code(world, station_id)
    agent = Agent(
        ui.server.url,
        tmp_path / "pi",
        tmp_path,
        "--enroll",
        code,
        "--capture-dir",
        str(capture),
        *FAST,
    ).start()
    try:
        wait_for(
            lambda: any(capture.glob("0001-*.wav")),
            timeout=LEAD.total_seconds() + 30,
            what="the session's bulletin playing",
            log=agent.log,
        )
        ui.sign_in(phone, "duty_a")
        main_menu(phone).get_by_role("link", name="Phát ngay", exact=True).click()
        phone.get_by_role("link", name="Phát ngay…").click()
        phone.get_by_label("Bản tin đã duyệt để phát").select_option(str(notice.content_id))
        phone.get_by_label("A", exact=True).uncheck()
        phone.get_by_label(village).check()
        _issue_at_once(phone)
        assert_fits(phone)
        screenshot(phone, "broadcast-new-phone")
        assert_accessible(phone)
        phone.get_by_role("button", name="Gửi lệnh").click()
        expect(phone.get_by_role("status")).to_contain_text("Đã phát lệnh")
        phone.evaluate("window.notReloaded = true")
        row = phone.locator("table.delivery tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("đã phát xong", timeout=30_000)
        assert phone.evaluate("window.notReloaded") is True
        assert_fits(phone)
        screenshot(phone, "broadcast-delivery-phone")
        assert_accessible(phone)
        wait_for(
            lambda: any(capture.glob("0003-*.wav")),
            timeout=10,
            what="the bulletin resuming after the notice",
            log=agent.log,
        )

        phone.goto("/broadcasts/new?action=stop")
        phone.get_by_label("A", exact=True).uncheck()
        phone.get_by_label(village).check()
        _issue_at_once(phone)
        phone.get_by_role("button", name="Gửi lệnh dừng").click()
        expect(phone.get_by_role("status")).to_contain_text("Đã phát lệnh")
        wait_for(
            lambda: any(r.result == "preempted" for r in _records(ui, station_id)[2:]),
            timeout=10,
            what="the bulletin silenced by the stop",
            log=agent.log,
        )
        silenced = len(list(capture.glob("*.wav")))
        phone.get_by_role("button", name="Bỏ lệnh dừng").click()
        expect(phone.get_by_role("status")).to_contain_text("quay lại lịch phát")
        wait_for(
            lambda: len(list(capture.glob("*.wav"))) > silenced,
            timeout=10,
            what="the schedule back after the stop was lifted",
            log=agent.log,
        )
        wait_for(
            lambda: any(r.snapshot_kind == "order" for r in _records(ui, station_id)[3:]),
            timeout=10,
            what="the stop's record reported",
            log=agent.log,
        )
    finally:
        agent.kill()
    records = _records(ui, station_id)
    kinds = [(r.snapshot_kind, r.result) for r in records]
    assert kinds[:3] == [("content", "preempted"), ("order", "played"), ("content", "preempted")]
    assert ("order", "partial") in kinds  # the stop's silence, lifted before its end
    captures = sorted(capture.glob("*.wav"))
    assert captures[0].name.endswith(f"{bulletin.sha256}.wav")
    assert captures[1].name.endswith(f"{notice.sha256}.wav")
    assert captures[2].name.endswith(f"{bulletin.sha256}.wav")
    heard = ui.storage.path(notice.sha256)
    assert correlation(decode(captures[1]), decode(heard)) > 0.9
    resumed = records[2]
    assert resumed.started_at is not None and resumed.planned_start is not None
    offset = (resumed.started_at - resumed.planned_start).total_seconds()
    assert offset > 3.0, "the bulletin goes on where the clock says, not from the top"
    assert (
        correlation(decode(captures[2]), decode(ui.storage.path(bulletin.sha256), offset_s=offset))
        > 0.9
    )
