"""The playlist preview pages (Lịch phát) without a browser: the API's scope, the builder's
warnings in Vietnamese beside their session, the timeline fragment's conditional answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from core.areas.crud import create_area
from core.areas.models import AreaCreate
from core.auth.models import Role
from core.config import Settings
from playlists.sessions import crud as sessions_crud
from playlists.timelines.models import PlaylistWarningPublic
from scheduler.keeper import PlaylistKeeper
from tests.clock import SettableClock
from tests.playlists.sessions.factories import make_session
from tests.playlists.timelines.factories import approved_audio, queue_into
from tests.stations.factories import SETUP, make_station
from tests.web.schedule_factories import evening, weekday_session
from tests.world import World
from web import i18n
from web.schedule_plan import _WARNINGS, Problem, length
from web.session import SESSION_COOKIE

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hanoi, a Tuesday
DAY = "2026-12-01"
BUILDER = Path(__file__).resolve().parents[2] / "playlists" / "builder" / "day.py"


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def client(settings: Settings, clock: SettableClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.database.dispose()


def _sign_in(client: TestClient, world: World, username: str) -> None:
    client.cookies.set(SESSION_COOKIE, world.token(username, NOW))


def _build(world: World, clock: SettableClock) -> None:
    PlaylistKeeper(
        database=world.database, clock=clock, horizon_days=3, timezone="Asia/Ho_Chi_Minh"
    ).tick()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_station_day_shows_each_bulletin_at_its_local_time_and_what_did_not_fit(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    (station, _), _session_id = evening(world)
    _build(world, clock)
    _sign_in(client, world, "operator_a")
    page = client.get(f"/schedule/stations/{station}?date={DAY}")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "17:00–17:05" in text and "17:00 3:00 Tin chiều thông thường nối tiếp" in text
    assert "Thông báo họp dân : Không vừa: dài 3:05, quá phần còn lại của phiên phát." in text
    assert "does not fit" not in page.text  # the builder's English stays out
    assert "Thứ Ba 01/12/2026" in text and "giờ Việt Nam" in text
    assert "phiên bản 1" in text
    assert client.get(f"/schedule/stations/{station}").text == page.text  # today, local


def test_the_pages_refuse_as_the_api_does(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    (station, _), _session_id = evening(world)
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    api = client.get(
        f"/api/v1/stations/{station}/playlist", headers=world.headers("operator_b", NOW)
    )
    assert api.status_code == 403
    _sign_in(client, world, "operator_b")
    for url in (
        f"/schedule/stations/{station}",
        f"/schedule/stations/{station}/timeline",
        f"/schedule/stations/{station}/week",
        f"/schedule/areas/{world.areas['A']}",
        f"/schedule/areas/{world.areas['A']}/timeline",
    ):
        page = client.get(url)
        assert page.status_code == 403, url
        assert "Việc này nằm ngoài địa bàn của bạn" in page.text, url
        assert "Tin chiều" not in page.text
    picker = client.get("/schedule")
    assert picker.status_code == 200 and "Chưa có cụm loa nào trong địa bàn" in picker.text
    assert f'value="{station}"' not in picker.text  # commune A's clusters are not offered
    client.cookies.set("loaxa_lang", "en")
    english = client.get(f"/schedule/stations/{station}")
    assert english.status_code == 403 and "This is outside your area" in english.text
    client.cookies.delete("loaxa_lang")
    _sign_in(client, world, "plain_a")  # no role at all
    page = client.get(f"/schedule/stations/{station}")
    assert page.status_code == 403 and "Không vai trò nào của bạn cho phép" in page.text
    _sign_in(client, world, "operator_a")
    assert client.get("/schedule/stations/999999").status_code == 404
    bad = client.get(f"/schedule/stations/{station}?date=01-12-2026")
    assert bad.status_code == 422 and "nhập ngày theo dạng" in bad.text
    far = client.get(f"/schedule/stations/{station}?date=2030-01-01")
    assert far.status_code == 422 and "trong vòng một năm" in far.text


def test_the_timeline_answers_304_until_the_scheduler_rebuilds(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    (station, _), session_id = evening(world)
    _build(world, clock)
    _sign_in(client, world, "operator_a")
    url = f"/schedule/stations/{station}/timeline?date={DAY}"
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200 and 'id="timeline"' in first.text
    assert "<html" not in first.text  # the fragment alone
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    page = client.get(f"/schedule/stations/{station}?date={DAY}")
    (headers,) = re.findall(r"hx-headers='(\{\"If-None-Match[^']*)'", page.text)
    assert json.loads(headers) == {"If-None-Match": etag}  # what htmx sends again
    same = client.get(url, headers={"If-None-Match": etag, "HX-Request": "true"})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["hx-reswap"] == "none" and same.headers["etag"] == etag
    _build(world, clock)  # a rebuild that changes nothing
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    with world.database.session(write=True) as session:
        found = sessions_crud.get_broadcast_session(session=session, session_id=session_id)
        found.max_length_s = 10 * 60  # now both fit
        session.add(found)
        session.commit()
    queue_into(world, session_id, approved_audio(world, "A", seconds=60, title="Tin mới"))
    _build(world, clock)
    changed = client.get(url, headers={"If-None-Match": etag, "HX-Request": "true"})
    assert changed.status_code == 200 and "Tin mới" in changed.text
    assert changed.headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304
    client.cookies.set("loaxa_lang", "en")  # the same timeline in English is another answer
    assert client.get(url, headers={"If-None-Match": changed.headers["etag"]}).status_code == 200


def test_a_full_day_timeline_stays_under_20_kb(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    """Two 45-minute sessions filled with 90-second bulletins, and ten that do not fit."""
    station = make_station(world, "A1")
    for start in (time(5, 30), time(17, 0)):
        session_id = make_session(world, "A", start=start, minutes=45)
        for n in range(35):
            title = f"Thông báo của Ủy ban nhân dân xã về lịch tiêm phòng số {n}"
            queue_into(world, session_id, approved_audio(world, "A", seconds=90, title=title))
    # Built the day before, as the keeper does: the morning is in today's plan of record.
    _build(world, SettableClock(NOW - timedelta(days=1)))
    _sign_in(client, world, "operator_a")
    answer = client.get(
        f"/schedule/stations/{station}/timeline?date={DAY}",
        headers={"Accept-Encoding": "identity"},
    )
    assert answer.status_code == 200
    assert answer.text.count('class="warn"') == 10 and answer.text.count("<b>") == 60
    assert len(answer.content) <= 20_000, len(answer.content)
    sent = client.get(
        f"/schedule/stations/{station}/timeline?date={DAY}", headers={"Accept-Encoding": "gzip"}
    )
    assert sent.headers["content-encoding"] == "gzip"
    assert int(sent.headers["content-length"]) <= 5_000  # what crosses the wire


def test_an_area_shows_its_clusters_grouped_by_their_playlist(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    (a_first, a_second), _session_id = evening(world)
    b_station = make_station(world, "B1")
    _sign_in(client, world, "admin_p")
    page = client.get(f"/schedule/areas/{world.areas['P']}?date={DAY}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "2 cụm loa phát lịch này" in text and "1 cụm loa phát lịch này" in text
    assert "Tin chiều" in text and "Không vừa" in text
    assert f"/schedule/stations/{b_station}?date={DAY}" in page.text
    assert "3 cụm loa chưa được dựng lịch ngày này" in text  # nothing was built yet
    _sign_in(client, world, "operator_a")
    commune = client.get(f"/schedule/areas/{world.areas['A']}?date={DAY}")
    assert f"/schedule/stations/{a_first}?" in commune.text
    assert f"/schedule/stations/{a_second}?" in commune.text
    assert f"/schedule/stations/{b_station}?" not in commune.text


def test_a_village_in_another_zone_keeps_its_own_times(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    """An area's view is in the area's zone; a group of clusters in another zone is shown
    in theirs, and says so. A station's page is in its own area's zone."""
    with world.database.session(write=True) as session:
        area_in = AreaCreate(
            parent_id=world.areas["A"], name="Berlin", level="village", timezone="Europe/Berlin"
        )
        berlin = create_area(session=session, area_in=area_in, actor=SETUP, now=NOW)
        session.commit()
    assert berlin.id is not None
    world.areas["Berlin"] = berlin.id
    station = make_station(world, "Berlin")
    session_id = make_session(world, "A", start=time(5, 30), targets=["Berlin"])
    queue_into(world, session_id, approved_audio(world, "A", seconds=60, title="Tin Berlin"))
    _sign_in(client, world, "operator_a")
    area = _text(client.get(f"/schedule/areas/{world.areas['A']}?date={DAY}").text)
    assert "Giờ của các cụm loa này theo giờ Europe/Berlin." in area
    assert "05:30 1:00 Tin Berlin" in area and "Thời gian tính theo giờ Việt Nam" in area
    page = _text(client.get(f"/schedule/stations/{station}?date={DAY}").text)
    assert "05:30 1:00 Tin Berlin" in page and "Thời gian tính theo giờ Europe/Berlin" in page
    assert "Giờ của các cụm loa này" not in page


def test_the_week_shows_a_session_on_its_weekdays_only(
    client: TestClient, world: World, clock: SettableClock
) -> None:
    station = make_station(world, "A1")
    weekday_session(world, "Phiên thứ Hai, Tư, Sáu", {0, 2, 4}, at=time(6, 0))
    _sign_in(client, world, "operator_a")
    page = client.get(f"/schedule/stations/{station}/week?date=2026-11-30")
    assert page.status_code == 200
    days = re.findall(r'<section class="card wday".*?</section>', page.text, re.S)
    assert len(days) == 7
    with_session = [_text(d).split(" 06:00")[0].strip() for d in days if "Phiên thứ Hai" in d]
    # Monday 30 November has passed with no plan of record: it is never recomputed.
    assert with_session == ["Thứ Tư 02/12/2026", "Thứ Sáu 04/12/2026"]
    assert "Không có lịch phát đã lưu." in _text(days[0])
    past = client.get(f"/schedule/stations/{station}?date=2026-11-30")
    assert past.status_code == 200
    assert "Không có lịch phát đã lưu cho ngày này" in past.text
    assert all("06:00 Tin sáng" in _text(d) for d in days if "Phiên thứ Hai" in d)
    assert "Thứ Bảy 05/12/2026" in page.text and "Chủ Nhật 06/12/2026" in page.text


def test_the_picker_goes_to_the_chosen_cluster(client: TestClient, world: World) -> None:
    _sign_in(client, world, "operator_a")
    empty = client.get("/schedule")
    assert "Chưa có cụm loa nào trong địa bàn của bạn" in empty.text
    station = make_station(world, "A1")
    picker = client.get("/schedule")
    assert f'value="{station}"' in picker.text and 'value="2026-12-01"' in picker.text
    chosen = client.get(f"/schedule?station={station}&date={DAY}", follow_redirects=False)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/schedule/stations/{station}?date={DAY}"
    day = client.get(chosen.headers["location"])
    assert "Chưa có phiên phát nào ngày này" in day.text  # and what to do first
    assert "xếp các bản tin đã duyệt vào" in day.text


def _builder_codes() -> set[str]:
    return set(re.findall(r'warn\(\s*"(\w+)"', BUILDER.read_text()))


def test_every_warning_of_the_builder_is_said_in_vietnamese() -> None:
    codes = _builder_codes()
    assert len(codes) >= 10 and codes <= _WARNINGS.keys(), codes - _WARNINGS.keys()
    i18n.use("vi")
    messages = re.findall(r'warn\(\s*"(\w+)",\s*(f?"[^"]*")', BUILDER.read_text())
    for code, literal in messages:
        message = literal.lstrip("f").strip('"')
        message = message.replace("{state.day}", "2026-12-01").replace("{duration:.0f}", "185")
        message = re.sub(r"\{[^}]*\}", "3", message)
        warning = PlaylistWarningPublic(
            code=code, message=message, queue_id=1, content_id=1, session_id=1
        )
        shown = Problem(warning, "Tin").text()
        assert "builder says" not in shown and "xếp lịch" not in shown, (code, message)
        assert not re.search(r"\b(the|is|not|session)\b", shown), (code, shown)


def test_a_length_reads_as_minutes_and_seconds() -> None:
    assert [length(s) for s in (5, 90, 185.4, 3725)] == ["0:05", "1:30", "3:05", "1:02:05"]
    assert date(2026, 12, 1).weekday() == 1  # the tests' day is a Tuesday
