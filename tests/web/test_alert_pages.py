"""The emergency pages (Khẩn cấp) without a browser: a typhoon alert drafted from its template
by an operator, issued by an approver (never by its author alone), its delivery board, the
form's problems beside their fields, a Cancel, and nobody outside the alert's area."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from alerts.models import Alert
from core.auth.models import Role
from tests.alerts.cap_documents import HEADLINE, cap_alert, give_code
from tests.stations.factories import make_station
from tests.web.pages import sign_in
from tests.world import World

pytestmark = pytest.mark.speech_cache("shared")  # the templates' words, read once a run


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _typhoon(client: TestClient, world: World, csrf: str, **more: str) -> int:
    form = {
        "csrf_token": csrf,
        "template": "bao",
        "area_id": str(world.areas["A"]),
        "target_area_ids": str(world.areas["A"]),
        "event": "Bão",
        "headline": "Bão số 3 đổ bộ",
        "text": "Bão số 3 đổ bộ. Bà con ở trong nhà.",
        "expires_in_h": "6",
        "repeat_count": "3",
        "repeat_every_min": "15",
        "volume": "100",
    } | more
    sent = client.post("/alerts/new", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    found = re.fullmatch(r"/alerts/(\d+)\?done=(\w+)", sent.headers["location"])
    assert found is not None
    return int(found[1])


def test_a_typhoon_alert_is_drafted_by_an_operator_and_issued_by_an_approver(
    client: TestClient, world: World
) -> None:
    station = make_station(world, "A1")
    csrf = sign_in(client, world, "operator_a")
    form = client.get("/alerts/new?template=bao")
    assert form.status_code == 200 and "Bà con không ra khơi" in form.text
    assert "Phát lệnh ngay, không cần người duyệt thứ hai" not in form.text  # not an approver
    alert_id = _typhoon(client, world, csrf)
    page = _text(client.get(f"/alerts/{alert_id}?done=drafted").text)
    assert "chờ duyệt" in page and "Đang chờ người duyệt khác" in page
    assert client.post(f"/alerts/{alert_id}/approve", data={"csrf_token": csrf}).status_code == 403

    csrf = sign_in(client, world, "approver_a")
    issued = client.post(
        f"/alerts/{alert_id}/approve", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert issued.status_code == 303
    page = client.get(f"/alerts/{alert_id}")
    text = _text(page.text)
    assert "đã phát lệnh" in text and "Đã phát lệnh: các cụm loa" not in text
    assert f'href="/stations/{station}"' in page.text and "chưa nhận" in text
    seen = re.search(r"/alerts/\d+/delivery\?seen=([0-9a-f]{16})", page.text)
    assert seen is not None
    same = client.get(f"/alerts/{alert_id}/delivery?seen={seen[1]}")
    assert same.status_code == 204


def test_the_forms_problems_stand_beside_their_fields(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "operator_a")
    form = {"csrf_token": csrf, "area_id": str(world.areas["A"]), "headline": "", "text": " "}
    refused = client.post("/alerts/new", data=form)
    assert refused.status_code == 422
    for field in ("headline", "text", "target_area_ids"):
        assert f'id="{field}-error"' in refused.text, field
    outside = _typhoon_form(world, csrf) | {"target_area_ids": str(world.areas["B"])}
    assert client.post("/alerts/new", data=outside).status_code == 403
    with world.database.session() as session:
        assert session.exec(select(Alert)).all() == []  # nothing half-written


def _typhoon_form(world: World, csrf: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "area_id": str(world.areas["A"]),
        "target_area_ids": str(world.areas["A"]),
        "headline": "Bão số 3",
        "text": "Bão số 3 đổ bộ. Bà con ở trong nhà.",
    }


def test_one_person_with_both_rights_issues_at_once_and_cancels(
    client: TestClient, world: World
) -> None:
    world.add_user("chief_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    csrf = sign_in(client, world, "chief_a")
    assert "Phát lệnh ngay, không cần người duyệt thứ hai" in client.get("/alerts/new").text
    alert_id = _typhoon(client, world, csrf, issue_now="1")
    page = _text(client.get(f"/alerts/{alert_id}").text)
    assert "đã phát lệnh" in page and "Hủy…" in page
    assert "Có, hủy bản tin" in client.get(f"/alerts/{alert_id}/cancel").text
    cancelled = client.post(
        f"/alerts/{alert_id}/cancel",
        data={"csrf_token": csrf, "issue_now": "1"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303, cancelled.text
    with world.database.session() as session:
        first = session.get(Alert, alert_id)
        assert first is not None and first.state == "cancelled"


def test_nobody_outside_the_alerts_area_reaches_it(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "operator_a")
    alert_id = _typhoon(client, world, csrf)
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    sign_in(client, world, "operator_b")
    assert client.get(f"/alerts/{alert_id}").status_code == 403
    assert client.get(f"/alerts/{alert_id}/delivery").status_code == 403
    assert client.get(f"/alerts/{alert_id}/update").status_code == 403
    assert "Bão số 3" not in client.get("/alerts").text


def test_a_cap_file_is_imported_from_the_page_and_a_bad_one_named(
    client: TestClient, world: World
) -> None:
    give_code(world, "A")
    csrf = sign_in(client, world, "operator_a")
    assert client.get("/alerts/import").status_code == 200
    document = cap_alert("VN-PAGE-1")
    sent = client.post(
        "/alerts/import",
        data={"csrf_token": csrf},
        files={"file": ("bao.xml", document, "application/xml")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = _text(client.get(sent.headers["location"]).text)
    assert HEADLINE in page and "chờ duyệt" in page
    broken = client.post(
        "/alerts/import",
        data={"csrf_token": csrf},
        files={"file": ("bad.xml", b"<alert>not CAP</alert>", "application/xml")},
    )
    assert broken.status_code == 422 and 'id="file-error"' in broken.text
    empty = client.post("/alerts/import", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "Hãy chọn tệp CAP" in empty.text
    with world.database.session() as session:
        assert len(session.exec(select(Alert)).all()) == 1  # the refused ones left nothing
