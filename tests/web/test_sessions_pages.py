"""The session and queue pages without a browser: the form's fields become the API's models
(or problems beside the fields, in Vietnamese), the pages change what the API would, and
an operator of another commune sees none of it and is refused as the API refuses."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.auth.models import Role
from playlists.builder.recurrence import Repeat
from playlists.content.models import ContentStatus
from playlists.sessions.models import BroadcastSession, QueueEntry, SessionIn
from tests.playlists.content.factories import make_item
from tests.playlists.sessions.factories import make_session
from tests.web.factories import approved_recording
from tests.world import World
from web import i18n
from web.problems import FormProblems
from web.session import SESSION_COOKIE, csrf_for
from web.sessions_forms import (
    QueueFields,
    SessionFields,
    fields_of,
    local_time,
    queue_in,
    session_in,
    session_update,
)


@pytest.fixture(autouse=True)
def _vietnamese() -> None:
    i18n.use("vi")


def _fields(**changes: Any) -> SessionFields:
    typed: dict[str, Any] = {
        "name": "Bản tin sáng",
        "area_id": "4",
        "start": "5h30",
        "length_min": "20",
        "repeat": "weekdays",
        "weekdays": ["0", "2", "4"],
        "exceptions": "02/09/2026, 2026-01-01",
        "target_area_ids": ["4", "6"],
        "target_group_ids": [],
        "volume": "70",
        "enabled": "1",
    }
    return SessionFields(**(typed | changes))


def test_the_form_becomes_the_apis_session_and_back() -> None:
    built = session_in(_fields())
    assert isinstance(built, SessionIn), built
    assert built.start == time(5, 30) and built.max_length_s == 20 * 60
    assert built.recurrence.repeat == Repeat.weekdays
    assert built.recurrence.weekdays == {0, 2, 4}
    assert built.recurrence.exceptions == {date(2026, 9, 2), date(2026, 1, 1)}
    assert built.target_area_ids == [4, 6] and built.volume == 70 and built.enabled
    assert local_time("17h") == "17:00" and local_time("6:05") == "06:05"
    assert local_time("25 giờ") == "25 giờ"  # for the model to refuse, as typed


def test_each_problem_lands_beside_its_field_in_vietnamese() -> None:
    wrong = session_in(_fields(start="sáng sớm", length_min="2000"))
    assert isinstance(wrong, FormProblems)
    assert wrong.get("start") == "Hãy nhập giờ theo dạng GG:PP, ví dụ 06:30."
    assert wrong.get("length_min") == "Hãy nhập không quá 1440."
    nowhere = session_in(_fields(target_area_ids=[]))
    assert isinstance(nowhere, FormProblems)
    assert nowhere.get("targets") == "Hãy đánh dấu ít nhất một địa bàn hoặc nhóm cụm loa để phát."
    no_days = session_in(_fields(weekdays=[]))
    assert isinstance(no_days, FormProblems)
    assert no_days.get("weekdays") == "Hãy đánh dấu ít nhất một ngày trong tuần."
    backwards = session_in(_fields(repeat="range", start_date="2026-12-10", end_date="2026-12-01"))
    assert isinstance(backwards, FormProblems)
    assert backwards.get("end_date") == "Ngày cuối đứng trước ngày đầu."
    bad_day = session_in(_fields(exceptions="31/02/2026"))
    assert isinstance(bad_day, FormProblems) and bad_day.get("exceptions")
    unnamed = session_in(_fields(name="", area_id=""))
    assert isinstance(unnamed, FormProblems)
    assert unnamed.get("name") == "Ô này bắt buộc."
    assert unnamed.get("area_id") == "Hãy chọn một mục trong danh sách."
    changed = session_update(_fields(target_area_ids=[]))  # the data function refuses it
    assert not isinstance(changed, FormProblems) and changed.target_area_ids == []


def test_the_queue_form_becomes_the_apis_entry() -> None:
    soft = queue_in(QueueFields(content_id="9"), session_id=3, order=2)
    assert not isinstance(soft, FormProblems)
    assert soft.at is None and soft.order == 2 and soft.recurrence.repeat == Repeat.daily
    relay = queue_in(
        QueueFields(content_id="9", timing="relay", at="6h", relay_length_min="30"),
        session_id=3,
        order=0,
    )
    assert not isinstance(relay, FormProblems)
    assert relay.at == time(6, 0) and relay.relay_length_s == 1800
    wrong = queue_in(
        QueueFields(timing="relay", at="", when="date", on_date=""), session_id=3, order=0
    )
    assert isinstance(wrong, FormProblems)
    assert set(wrong.fields) == {"content_id", "at", "relay_length_min", "on_date"}
    assert wrong.get("on_date") == "Hãy chọn ngày đầu (với “một lần”, chính ngày đó)."


def _sign_in(client: TestClient, world: World, username: str) -> str:
    token = world.token(username)
    client.cookies.set(SESSION_COOKIE, token)
    return csrf_for(token)


def _post(client: TestClient, url: str, csrf: str, form: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf, **form}, follow_redirects=False)


def _typed(world: World, **changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Bản tin sáng",
        "area_id": world.areas["A"],
        "start": "05:30",
        "length_min": "15",
        "repeat": "weekdays",
        "weekdays": ["0", "1", "2", "3", "4"],
        "target_area_ids": [world.areas["A1"]],
        "volume": "80",
        "enabled": "1",
    }
    return form | changes


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', page)
    assert found, f"no problem beside {name}"
    return found.group(1)


def test_an_operator_creates_a_session_and_a_wrong_time_keeps_the_rest(
    client: TestClient, world: World
) -> None:
    csrf = _sign_in(client, world, "operator_a")
    wrong = _post(client, "/sessions", csrf, _typed(world, start="7 giờ sáng"))
    assert wrong.status_code == 422
    assert _field_error(wrong.text, "start") == "Hãy nhập giờ theo dạng GG:PP, ví dụ 06:30."
    assert 'value="Bản tin sáng"' in wrong.text and 'value="7 giờ sáng"' in wrong.text
    assert re.search(rf'value="{world.areas["A1"]}" checked', wrong.text)
    made = _post(client, "/sessions", csrf, _typed(world))
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert page.status_code == 200 and "Đã lưu" in page.text
    listed = client.get("/sessions")
    assert "Bản tin sáng" in listed.text and 'data-label="Giờ bắt đầu"' in listed.text
    assert "Thứ Hai, Thứ Ba, Thứ Tư, Thứ Năm, Thứ Sáu" in listed.text


def test_the_policy_of_the_area_is_shown_while_editing(client: TestClient, world: World) -> None:
    _sign_in(client, world, "operator_a")
    box = client.get(f"/sessions/policy?area_id={world.areas['A']}")
    assert box.status_code == 200 and "Giới hạn đang áp dụng" in box.text
    outside = client.get(f"/sessions/policy?area_id={world.areas['B']}")
    assert outside.status_code == 403


def test_an_area_outside_ones_scope_is_refused_as_the_api_refuses(
    client: TestClient, world: World
) -> None:
    csrf = _sign_in(client, world, "operator_a")
    theirs = _post(client, "/sessions", csrf, _typed(world, area_id=world.areas["B"]))
    assert theirs.status_code == 403
    assert "Việc này nằm ngoài địa bàn của bạn" in theirs.text
    assert 'value="Bản tin sáng"' in theirs.text


def test_an_operator_of_another_commune_sees_none_of_it(client: TestClient, world: World) -> None:
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    session_id = make_session(world, "A")
    csrf = _sign_in(client, world, "operator_b")
    listed = client.get("/sessions")
    assert listed.status_code == 200 and f'href="/sessions/{session_id}"' not in listed.text
    assert "Chưa có phiên phát nào" in listed.text
    forced = client.get(f"/sessions/{session_id}")
    api = client.get(f"/api/v1/sessions/{session_id}", headers=world.headers("operator_b"))
    assert forced.status_code == api.status_code == 403
    assert "Việc này nằm ngoài địa bàn của bạn" in forced.text
    changed = _post(client, f"/sessions/{session_id}", csrf, _typed(world))
    deleted = _post(client, f"/sessions/{session_id}/delete", csrf, {})
    queued = _post(client, f"/sessions/{session_id}/queue", csrf, {"content_id": "1"})
    assert changed.status_code == deleted.status_code == queued.status_code == 403
    with world.database.session() as session:
        assert session.get(BroadcastSession, session_id) is not None


def _queue_titles(page: str) -> list[str]:
    queue = page.split('id="queue"')[1].split("</section>")[0]
    return re.findall(r"<strong>([^<]*)</strong>", queue)


def test_the_queue_takes_approved_content_reorders_and_removes(
    client: TestClient, world: World
) -> None:
    session_id = make_session(world, "A")
    first = approved_recording(world, "Tin thời tiết")
    second = approved_recording(world, "Lịch tiêm chủng")
    relay = make_item(world, "A", status=ContentStatus.approved, title="Tiếp sóng VOV")
    draft = make_item(world, "A", title="Bản nháp")
    csrf = _sign_in(client, world, "operator_a")
    page = client.get(f"/sessions/{session_id}")
    assert "Tin thời tiết" in page.text and "Bản nháp" not in page.text
    assert "Chưa có gì trong hàng đợi" in page.text
    url = f"/sessions/{session_id}/queue"
    for item in (first, second):
        assert _post(client, url, csrf, {"content_id": item}).status_code == 303
    soft_relay = _post(client, url, csrf, {"content_id": relay})
    assert soft_relay.status_code == 422
    assert _field_error(soft_relay.text, "relay_length_min") == (
        "Tiếp sóng cần một giờ bắt đầu cố định và một độ dài."
    )
    not_approved = _post(client, url, csrf, {"content_id": draft})
    assert not_approved.status_code == 422 and "Chỉ nội dung đã duyệt" in not_approved.text
    relayed = _post(
        client,
        url,
        csrf,
        {"content_id": relay, "timing": "relay", "at": "5h40", "relay_length_min": "10"},
    )
    assert relayed.status_code == 303
    page = client.get(f"/sessions/{session_id}")
    assert _queue_titles(page.text) == ["Tin thời tiết", "Lịch tiêm chủng", "Tiếp sóng VOV"]
    assert "Tiếp sóng lúc 05:40 trong 10 phút" in page.text
    with world.database.session() as session:
        entries = session.exec(select(QueueEntry).where(QueueEntry.session_id == session_id)).all()
        by_lineage = {e.lineage_id: e.id for e in entries}
    moved = _post(client, f"{url}/{by_lineage[second]}/move", csrf, {"direction": "up"})
    assert moved.status_code == 303
    page = client.get(f"/sessions/{session_id}")
    assert _queue_titles(page.text) == ["Lịch tiêm chủng", "Tin thời tiết", "Tiếp sóng VOV"]
    top = _post(client, f"{url}/{by_lineage[second]}/move", csrf, {"direction": "up"})
    assert top.status_code == 303  # already first: nothing changes
    removed = _post(client, f"{url}/{by_lineage[relay]}/delete", csrf, {})
    assert removed.status_code == 303
    page = client.get(f"/sessions/{session_id}")
    assert _queue_titles(page.text) == ["Lịch tiêm chủng", "Tin thời tiết"]


def test_a_session_is_changed_and_deleted_from_its_page(client: TestClient, world: World) -> None:
    session_id = make_session(world, "A")
    csrf = _sign_in(client, world, "operator_a")
    with world.database.session() as session:
        found = session.get(BroadcastSession, session_id)
        assert found is not None
        from playlists.sessions.crud import session_public

        fields = fields_of(session_public(session, found))
    typed = fields.model_dump() | {"start": "17:00", "target_area_ids": [], "csrf_token": csrf}
    none = client.post(f"/sessions/{session_id}", data=typed, follow_redirects=False)
    assert none.status_code == 422
    assert _field_error(none.text, "targets").startswith("Hãy đánh dấu ít nhất một")
    typed["target_area_ids"] = [world.areas["A"]]
    saved = client.post(f"/sessions/{session_id}", data=typed, follow_redirects=False)
    assert saved.status_code == 303
    with world.database.session() as session:
        found = session.get(BroadcastSession, session_id)
        assert found is not None and found.start == time(17, 0)
    gone = _post(client, f"/sessions/{session_id}/delete", csrf, {})
    assert gone.status_code == 303 and gone.headers["location"] == "/sessions?deleted=1"
    with world.database.session() as session:
        assert session.get(BroadcastSession, session_id) is None


def test_a_supervisor_reads_and_someone_without_a_role_is_told_so(
    client: TestClient, world: World
) -> None:
    session_id = make_session(world, "A")
    csrf = _sign_in(client, world, "supervisor_a")
    page = client.get(f"/sessions/{session_id}")
    assert page.status_code == 200 and '<fieldset class="plain" disabled>' in page.text
    assert "Phiên phát mới" not in client.get("/sessions").text
    refused = _post(client, f"/sessions/{session_id}", csrf, _typed(world))
    assert (
        refused.status_code == 403
        and "Không vai trò nào của bạn cho phép việc này." in refused.text
    )
    _sign_in(client, world, "plain_a")
    nobody = client.get("/sessions")
    assert (
        nobody.status_code == 403 and "Không vai trò nào của bạn cho phép việc này." in nobody.text
    )
