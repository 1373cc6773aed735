"""TTS bulletins, relays and the approval workflow through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.auth.models import Role
from tests.playlists.content.factories import make_item
from tests.playlists.content.streams import stream_server
from tests.world import World

CONTENT = "/api/v1/content"


def _tts(client: TestClient, world: World, **fields: Any) -> Any:
    body = {
        "title": "Thông báo",
        "language": "vi",
        "area_id": world.areas["A"],
        "text": "Ủy ban nhân dân xã thông báo. Ngày mai cắt điện từ bảy giờ đến mười giờ.",
    }
    return client.post(f"{CONTENT}/tts", json=body | fields, headers=world.headers("operator_a"))


def test_tts_bulletin_keeps_its_text_and_voice(client: TestClient, world: World) -> None:
    response = _tts(client, world, voice="vi-vn-x-south")
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["kind"] == "tts" and item["voice"] == "vi-vn-x-south"
    assert item["text"].startswith("Ủy ban nhân dân xã")
    assert item["duration_s"] > 2
    assert item["loudness_after_lufs"] == pytest.approx(-16.0, abs=1.0)


def test_long_text_is_read_whole(client: TestClient, world: World) -> None:
    sentence = "Bà con chú ý phòng chống bão lũ, gia cố nhà cửa và dự trữ lương thực."
    short = _tts(client, world, text=sentence).json()
    long = _tts(client, world, text=" ".join([sentence] * 8)).json()
    assert long["duration_s"] > 6 * short["duration_s"]


def test_language_no_engine_speaks_is_named(client: TestClient, world: World) -> None:
    response = _tts(client, world, language="km", text="សួស្តី")
    assert response.status_code == 422
    assert "'km'" in response.json()["detail"]
    voices = client.get(f"{CONTENT}/voices", headers=world.headers("operator_a")).json()
    assert {"vi", "en"} <= {v["language"] for v in voices}


def test_relay_is_checked_in_the_background(client: TestClient, world: World) -> None:
    with stream_server() as base:
        good = client.post(
            f"{CONTENT}/relay",
            headers=world.headers("operator_a"),
            json={
                "title": "Tiếp sóng VOV1",
                "area_id": world.areas["A"],
                "stream_url": f"{base}/vov.m3u",
            },
        )
        bad = client.post(
            f"{CONTENT}/relay",
            headers=world.headers("operator_a"),
            json={
                "title": "Đài tỉnh",
                "area_id": world.areas["A"],
                "stream_url": f"{base}/missing",
            },
        )
    assert good.status_code == bad.status_code == 201
    assert good.json()["relay_check"] == "pending"
    headers = world.headers("operator_a")
    checked_good = client.get(f"{CONTENT}/{good.json()['id']}", headers=headers).json()
    checked_bad = client.get(f"{CONTENT}/{bad.json()['id']}", headers=headers).json()
    assert checked_good["relay_check"] == "ok"
    assert checked_bad["relay_check"] == "warning"
    assert "HTTP 404" in checked_bad["relay_check_message"]


def test_relay_url_must_be_http(client: TestClient, world: World) -> None:
    response = client.post(
        f"{CONTENT}/relay",
        headers=world.headers("operator_a"),
        json={"title": "x", "area_id": world.areas["A"], "stream_url": "file:///etc/passwd"},
    )
    assert response.status_code == 422
    assert "stream_url" in response.json()["detail"]


def _step(
    client: TestClient, world: World, item: int, step: str, who: str, body: Any = None
) -> Any:
    return client.post(f"{CONTENT}/{item}/{step}", json=body, headers=world.headers(who))


def _relay(client: TestClient, world: World, area: str = "A", who: str = "operator_a") -> int:
    response = client.post(
        f"{CONTENT}/relay",
        headers=world.headers(who),
        json={"title": "VOV", "area_id": world.areas[area], "stream_url": "http://127.0.0.1:9/vov"},
    )
    assert response.status_code == 201, response.text
    item: int = response.json()["id"]
    return item


def test_approver_cannot_approve_their_own_item(client: TestClient, world: World) -> None:
    world.add_user("both", area="A", roles={Role.operator: "A"})
    with world.database.session(write=True) as session:
        from core.auth.models import RoleAssignment
        from tests.world import now

        session.add(
            RoleAssignment(
                user_id=world.users["both"],
                role=Role.approver,
                area_id=world.areas["A"],
                created_at=now(),
            )
        )
        session.commit()
    item = _relay(client, world, who="both")
    assert _step(client, world, item, "submit", "both").status_code == 200
    own = _step(client, world, item, "approve", "both")
    assert own.status_code == 403
    assert "four eyes" in own.json()["detail"]
    assert _step(client, world, item, "approve", "approver_a").status_code == 200


def test_approval_needs_the_role_and_the_scope(client: TestClient, world: World) -> None:
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    b_item = _relay(client, world, area="B", who="operator_b")
    _step(client, world, b_item, "submit", "operator_b")
    outside = _step(client, world, b_item, "approve", "approver_a")
    assert outside.status_code == 403 and "outside your roles' scope" in outside.json()["detail"]
    a_item = _relay(client, world)
    _step(client, world, a_item, "submit", "operator_a")
    no_role = _step(client, world, a_item, "approve", "operator_a")
    assert no_role.status_code == 403 and "content.approve" in no_role.json()["detail"]


def test_reject_needs_a_reason_and_resubmit_clears_it(client: TestClient, world: World) -> None:
    item = _relay(client, world)
    _step(client, world, item, "submit", "operator_a")
    assert _step(client, world, item, "reject", "approver_a", {"reason": ""}).status_code == 422
    rejected = _step(client, world, item, "reject", "approver_a", {"reason": "Sai tên xã"}).json()
    assert rejected["status"] == "rejected" and rejected["reject_reason"] == "Sai tên xã"
    again = _step(client, world, item, "submit", "operator_a").json()
    assert again["status"] == "submitted" and again["reject_reason"] is None


def test_steps_out_of_order_are_refused(client: TestClient, world: World) -> None:
    item = _relay(client, world)
    early = _step(client, world, item, "approve", "approver_a")
    assert early.status_code == 409
    assert "cannot approve an item that is draft" in early.json()["detail"]
    _step(client, world, item, "archive", "operator_a")
    late = _step(client, world, item, "submit", "operator_a")
    assert late.status_code == 409


def test_editing_approved_content_makes_a_new_version(client: TestClient, world: World) -> None:
    headers = world.headers("operator_a")
    v1 = _relay(client, world)
    _step(client, world, v1, "submit", "operator_a")
    _step(client, world, v1, "approve", "approver_a")
    v2 = client.patch(f"{CONTENT}/{v1}", json={"title": "VOV sáng"}, headers=headers).json()
    assert v2["id"] != v1 and v2["version"] == 2 and v2["lineage_id"] == v1
    assert v2["status"] == "draft" and v2["title"] == "VOV sáng"
    first = client.get(f"{CONTENT}/{v1}", headers=headers).json()
    assert first["status"] == "approved" and first["title"] == "VOV"
    second_edit = client.patch(f"{CONTENT}/{v1}", json={"title": "khác"}, headers=headers)
    assert second_edit.status_code == 409
    _step(client, world, v2["id"], "submit", "operator_a")
    _step(client, world, v2["id"], "approve", "approver_a")
    assert client.get(f"{CONTENT}/{v1}", headers=headers).json()["status"] == "archived"
    lineage = client.get(f"{CONTENT}?lineage_id={v1}", headers=headers).json()
    assert [(i["version"], i["status"]) for i in lineage["data"]] == [
        (2, "approved"),
        (1, "archived"),
    ]
    audit = client.get(
        f"/api/v1/audit?object_type=content&object_id={v1}", headers=world.headers("supervisor_a")
    ).json()
    assert [e["action"] for e in audit["data"]] == [
        "content.supersede",
        "content.approve",
        "content.submit",
        "content.create",
    ]


def test_validity_window_must_be_in_order(client: TestClient, world: World) -> None:
    response = _tts(
        client,
        world,
        valid_from="2026-12-02T00:00:00+07:00",
        valid_until="2026-12-01T00:00:00+07:00",
    )
    assert response.status_code == 422
    assert "valid_until must be after valid_from" in response.json()["detail"]
    naive = _tts(client, world, valid_from="2026-12-01T00:00:00")
    assert naive.status_code == 422 and "valid_from" in naive.json()["detail"]


def _grant(world: World, username: str, role: Role, area: str) -> None:
    from core.auth.models import RoleAssignment
    from tests.world import now

    with world.database.session(write=True) as session:
        session.add(
            RoleAssignment(
                user_id=world.users[username],
                role=role,
                area_id=world.areas[area],
                created_at=now(),
            )
        )
        session.commit()


def test_editing_someone_elses_item_then_approving_it_is_refused(
    client: TestClient, world: World
) -> None:
    world.add_user("editor", area="A", roles={Role.operator: "A"})
    _grant(world, "editor", Role.approver, "A")
    item = _relay(client, world)  # written by operator_a
    edited = client.patch(
        f"{CONTENT}/{item}", json={"title": "Sửa"}, headers=world.headers("editor")
    )
    assert edited.status_code == 200
    _step(client, world, item, "submit", "editor")
    refused = _step(client, world, item, "approve", "editor")
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    assert _step(client, world, item, "approve", "approver_a").status_code == 200


def test_approval_cannot_retire_a_version_outside_the_approvers_scope(
    client: TestClient, world: World
) -> None:
    world.add_user("both_communes", area="P", roles={Role.operator: "P"})
    _grant(world, "both_communes", Role.approver, "P")
    v1 = _relay(client, world, area="B", who="both_communes")
    _step(client, world, v1, "submit", "both_communes")
    assert _step(client, world, v1, "approve", "admin_p").status_code == 403  # no role
    world.add_user("approver_p", area="P", roles={Role.approver: "P"})
    assert _step(client, world, v1, "approve", "approver_p").status_code == 200
    v2 = client.patch(
        f"{CONTENT}/{v1}",
        json={"area_id": world.areas["A"]},
        headers=world.headers("both_communes"),
    ).json()
    _step(client, world, v2["id"], "submit", "both_communes")
    refused = _step(client, world, v2["id"], "approve", "approver_a")
    assert refused.status_code == 403
    assert f"content #{v1}" in refused.json()["detail"]
    headers = world.headers("approver_p")
    assert client.get(f"{CONTENT}/{v1}", headers=headers).json()["status"] == "approved"


def test_new_stream_url_is_checked_again(client: TestClient, world: World) -> None:
    with stream_server() as base:
        item = client.post(
            f"{CONTENT}/relay",
            headers=world.headers("operator_a"),
            json={"title": "Đài", "area_id": world.areas["A"], "stream_url": f"{base}/missing"},
        ).json()
        changed = client.patch(
            f"{CONTENT}/{item['id']}",
            headers=world.headers("operator_a"),
            json={"stream_url": f"{base}/live.mp3"},
        )
    assert changed.json()["relay_check"] == "pending"
    now_ = client.get(f"{CONTENT}/{item['id']}", headers=world.headers("operator_a")).json()
    assert now_["relay_check"] == "ok"


def test_far_future_dates_are_refused_by_name(client: TestClient, world: World) -> None:
    response = _tts(client, world, valid_until="9999-12-31T23:00:00-05:00")
    assert response.status_code == 422
    assert "valid_until" in response.json()["detail"]


TITLES = ("Giảm 50% học phí", "Mã_số 7", "Mã số 7", r"Tệp C:\tin", "Tin 1/12", "Bản tin sáng")


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("%", {"Giảm 50% học phí"}),
        ("_", {"Mã_số 7"}),
        ("Mã_số", {"Mã_số 7"}),
        ("50%", {"Giảm 50% học phí"}),
        ("\\", {r"Tệp C:\tin"}),
        ("1/12", {"Tin 1/12"}),
        ("/", {"Tin 1/12"}),
        ("TIN", {r"Tệp C:\tin", "Tin 1/12", "Bản tin sáng"}),
    ],
)
def test_search_matches_wildcards_literally(
    client: TestClient, world: World, q: str, found: set[str]
) -> None:
    for title in TITLES:
        make_item(world, "A", title=title)
    response = client.get(CONTENT, params={"q": q}, headers=world.headers("operator_a"))
    assert response.status_code == 200, response.text
    assert {item["title"] for item in response.json()["data"]} == found
    assert response.json()["count"] == len(found)
