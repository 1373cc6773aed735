"""The supervisors' pages (Báo cáo) without a browser: what they show of a reported day,
their scope, the filter's problems beside its fields, generating a periodic report."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from alerts.feeds.models import CapFeed
from alerts.models import Alert
from api import create_app
from core.auth.models import Role
from core.config import Settings
from stations.fleet.models import StationAgent
from stations.models import Station
from tests.alerts.factories import make_alert
from tests.alerts.feed_factories import make_feed
from tests.clock import SettableClock
from tests.reports.history import TITLES, History, reported_day
from tests.world import World
from web.session import SESSION_COOKIE, csrf_for

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi, the day after
DAY = date(2026, 12, 1)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, clock=SettableClock(NOW))
    with TestClient(app) as test_client:
        yield test_client
    app.state.database.dispose()


@pytest.fixture
def history(world: World) -> History:
    return reported_day(world, DAY)


def sign_in(client: TestClient, world: World, username: str) -> str:
    """Signed in on the app's clock; returns the CSRF token of its forms."""
    token = world.token(username, NOW)
    client.cookies.set(SESSION_COOKIE, token)
    return csrf_for(token)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_shows_the_last_seven_days_of_the_callers_areas(
    client: TestClient, world: World, history: History
) -> None:
    with world.database.session(write=True) as session:
        agent = session.get(StationAgent, history.aired)
        assert agent is not None
        agent.last_seen_at = NOW  # heard from just now; the other never
        session.add(agent)
        session.commit()
    sign_in(client, world, "supervisor_a")
    page = client.get("/reports")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "Báo cáo" in text
    # 2 of 4 bulletins aired in full: one on time, one late; 2 not aired; 1 of 2 offline.
    assert "50%" in text
    assert "Cụm loa đang mất kết nối 1 / 2" in text
    assert (
        f'href="/reports/areas/{world.areas["A1"]}?from=2026-11-26&amp;to=2026-12-02"' in page.text
    )


def test_an_area_drills_down_to_its_stations_and_their_log_book(
    client: TestClient, world: World, history: History
) -> None:
    sign_in(client, world, "supervisor_a")
    area = world.areas["A1"]
    page = client.get(f"/reports/areas/{area}?period=day&date={DAY}")
    assert page.status_code == 200, page.text
    assert f"/reports/stations/{history.aired}/logbook?date={DAY}" in page.text
    assert "Cụm loa trực thuộc A1" in page.text  # the village's own clusters, not merged away
    assert "sáp nhập" not in page.text
    assert f"/reports/areas/{area}/download?period=day&amp;date={DAY}&amp;format=xlsx" in page.text
    day = client.get(f"/reports/stations/{history.aired}/days/{DAY}")
    assert day.status_code == 200, day.text
    book = client.get(f"/reports/stations/{history.aired}/logbook?date={DAY}")
    assert book.status_code == 200, book.text


def test_a_filter_problem_stands_beside_its_field_in_vietnamese(
    client: TestClient, world: World, history: History
) -> None:
    sign_in(client, world, "supervisor_a")
    area = world.areas["A"]
    page = client.get(f"/reports/areas/{area}?period=range&from=2026-12-05&to=2026-12-01")
    assert page.status_code == 422
    assert 'id="to-error"' in page.text
    assert "Ngày kết thúc đứng trước ngày bắt đầu." in page.text
    assert 'value="2026-12-05"' in page.text  # what was typed is kept
    wrong = client.get(f"/reports/areas/{area}?period=month&date=31/12/2026")
    assert wrong.status_code == 422 and 'id="date-error"' in wrong.text


def test_nobody_reads_a_report_outside_their_areas(
    client: TestClient, world: World, history: History
) -> None:
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    sign_in(client, world, "operator_b")
    for url in (
        f"/reports/areas/{world.areas['A']}",
        f"/reports/stations/{history.aired}/days/{DAY}",
        f"/reports/stations/{history.aired}/logbook",
        f"/reports/areas/{world.areas['A']}/periodic",
        f"/reports/areas/{world.areas['A']}/download?period=day&date={DAY}&format=csv",
        f"/reports/stations/{history.aired}/days/{DAY}/download?format=xlsx",
        f"/reports/stations/{history.aired}/logbook/download?format=csv",
    ):
        answer = client.get(url)
        assert answer.status_code == 403, url
        assert "Loaxa" in answer.text  # the refusal page, with the menu
    found = client.get(f"/reports/proof?q={TITLES[0]}")
    assert TITLES[0] not in _text(found.text).replace(f"“{TITLES[0]}”", "")
    sign_in(client, world, "plain_b")  # no role at all
    assert client.get("/reports").status_code == 403


def test_proof_of_play_is_found_by_a_word_of_the_title(
    client: TestClient, world: World, history: History
) -> None:
    sign_in(client, world, "supervisor_a")
    found = client.get("/reports/proof?q=tiêm&from=2026-12-01&to=2026-12-01")
    assert found.status_code == 200
    links = re.findall(r'href="(/reports/proof\?lineage_id=\d+[^"]*)"', found.text)
    assert len(links) == 1 and TITLES[1] in found.text
    proof = client.get(links[0].replace("&amp;", "&"))
    assert proof.status_code == 200, proof.text
    assert "/reports/proof/download?lineage_id=" in proof.text
    # the silent cluster, enrolled and never heard from, is offline since its enrolment
    assert "1 mất kết nối từ" in _text(proof.text)


def test_a_periodic_report_is_generated_with_its_signers(
    client: TestClient, world: World, history: History
) -> None:
    csrf = sign_in(client, world, "supervisor_a")
    area = world.areas["A"]
    preview = client.get(f"/reports/areas/{area}/periodic?period=month&date={DAY}")
    assert preview.status_code == 200, preview.text
    assert "Tháng 12 năm 2026" in preview.text
    refused = client.post(
        f"/reports/areas/{area}/periodic", data={"period": "month", "date": str(DAY)}
    )
    assert refused.status_code == 403  # no CSRF token
    made = client.post(
        f"/reports/areas/{area}/periodic",
        data={
            "csrf_token": csrf,
            "period": "month",
            "date": str(DAY),
            "prepared_by": "Nguyễn Văn An",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    shown = client.get(made.headers["location"])
    assert "Nguyễn Văn An" in shown.text and 'role="status"' in shown.text
    assert "prepared_by=Nguy" in shown.text  # the downloads carry the name


def test_the_pages_downloads_are_the_files_of_what_they_show(
    client: TestClient, world: World, history: History
) -> None:
    sign_in(client, world, "supervisor_a")
    area = world.areas["A"]
    page = client.get(f"/reports/areas/{area}/periodic?period=month&date={DAY}&prepared_by=An")
    links = re.findall(r'href="(/reports/[^"]+/download[^"]+format=xlsx)"', page.text)
    assert links, page.text
    answer = client.get(links[0].replace("&amp;", "&"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_the_alerts_list_downloads_in_every_format_and_only_the_callers_alerts(
    client: TestClient, world: World, history: History
) -> None:
    ours, theirs = make_alert(world, "A", issued=True), make_alert(world, "B", issued=True)
    sign_in(client, world, "supervisor_a")
    page = client.get("/reports/alerts")
    assert page.status_code == 200, page.text
    assert f"/reports/alerts/{ours.id}" in page.text
    assert f"/reports/alerts/{theirs.id}" not in page.text
    kinds = {"csv": "text/csv", "xlsx": "application/vnd.openxml", "pdf": "application/pdf"}
    for fmt, kind in kinds.items():
        assert f'href="/reports/alerts/download?format={fmt}"' in page.text
        answer = client.get(f"/reports/alerts/download?format={fmt}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith(kind)
    rows = list(csv.reader(io.StringIO(client.get("/reports/alerts/download?format=csv").text)))
    listed = {r[0] for r in rows[2:] if r}
    assert listed == {str(ours.id)}  # the caller's alert, not commune B's


def test_a_cluster_moved_away_is_still_listed_where_its_days_were_summed(
    client: TestClient, world: World, history: History
) -> None:
    with world.database.session(write=True) as session:
        station = session.get(Station, history.aired)
        assert station is not None
        station.area_id = world.areas["B1"]
        session.add(station)
        session.commit()
    sign_in(client, world, "admin_p")
    page = client.get(f"/reports/areas/{world.areas['A1']}?period=day&date={DAY}")
    assert page.status_code == 200, page.text
    assert "(đã chuyển sang địa bàn khác)" in page.text
    assert f"/reports/stations/{history.aired}/logbook" in page.text


def test_a_signers_name_with_control_characters_is_refused_on_a_page(
    client: TestClient, world: World, history: History
) -> None:
    sign_in(client, world, "supervisor_a")
    page = client.get(f"/reports/areas/{world.areas['A']}/periodic?prepared_by=%1F")
    assert page.status_code == 422
    assert "<html" in page.text and "Loaxa" in page.text  # a page, not the API's JSON


def test_a_refused_value_on_a_page_is_a_page_in_vietnamese(
    client: TestClient, world: World, history: History
) -> None:
    csrf = sign_in(client, world, "supervisor_a")
    area = world.areas["A"]
    answers = [
        client.post(
            f"/reports/areas/{area}/periodic",
            data={
                "csrf_token": csrf,
                "period": "month",
                "date": str(DAY),
                "prepared_by": "An\x01b",
            },
        ),
        client.get(f"/reports/proof?q={'x' * 201}"),
        client.get("/reports/alerts/abc"),
        client.get(f"/reports/areas/{area}/download?format=doc"),
        client.get(f"/reports/areas/{area}/periodic?period=day"),
    ]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("text/html"), answer.text
        assert "Loaxa" in answer.text
    assert "Tên không được chứa ký tự điều khiển." in answers[0].text
    assert "Báo cáo định kỳ là theo tháng, quý, 6 tháng hoặc năm." in answers[4].text


def test_the_alerts_page_shows_which_cap_feeds_are_silent_and_why(
    client: TestClient, world: World, history: History
) -> None:
    heard = make_feed(world, "A")
    failing = make_feed(world, "A")
    elsewhere = make_feed(world, "B", owner="admin_p")  # commune B's: not supervisor_a's
    with world.database.session(write=True) as session:
        for feed, failures in ((heard, 0), (failing, 3), (elsewhere, 1)):
            row = session.get(CapFeed, feed.id)
            assert row is not None
            row.failures, row.last_error = failures, "500 from the sender" if failures else None
            row.last_new_document_at = NOW  # something new: only failures make one silent
            row.last_success_at = NOW
            session.add(row)
        session.commit()
    sign_in(client, world, "supervisor_a")
    text = _text(client.get("/reports/alerts").text)
    assert "Nguồn tin cảnh báo CAP" in text
    assert f"{failing.name} im lặng: 3 lần đọc gần nhất bị lỗi: 500 from the sender" in text
    assert f"{heard.name} đang nhận tin" in text
    assert elsewhere.name not in text
    # The silent one first: a supervisor sees it without scrolling.
    assert text.index(failing.name) < text.index(heard.name)


def test_an_alerts_page_says_who_sent_it_and_in_what_language(
    client: TestClient, world: World, history: History
) -> None:
    alert = make_alert(world, "A", issued=True, sender="opendata@dwd.de")
    with world.database.session(write=True) as session:
        row = session.get(Alert, alert.id)
        assert row is not None
        row.language = "de-DE"
        session.add(row)
        session.commit()
    sign_in(client, world, "supervisor_a")
    text = _text(client.get(f"/reports/alerts/{alert.id}").text)
    assert "Nơi gửi opendata@dwd.de" in text and "Ngôn ngữ Tiếng Đức (Đức)" in text
