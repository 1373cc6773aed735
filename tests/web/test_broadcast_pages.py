"""The broadcast now pages (Phát ngay) without a browser: an operator orders an approved item
played, an approver issues it (never its author alone), its delivery board, a stop issued at
once by the duty officer and lifted, the form's problems beside their fields, and nobody
outside the order's area."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from core.auth.models import Role
from tests.playlists.timelines.factories import approved_audio
from tests.stations.factories import make_station
from tests.web.pages import sign_in
from tests.world import World


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _send(client: TestClient, world: World, csrf: str, **fields: str) -> int:
    form = {
        "csrf_token": csrf,
        "area_id": str(world.areas["A"]),
        "target_area_ids": str(world.areas["A"]),
    } | fields
    sent = client.post("/broadcasts/new", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    found = re.fullmatch(r"/broadcasts/(\d+)\?done=(\w+)", sent.headers["location"])
    assert found is not None
    return int(found[1])


def test_an_operator_orders_an_item_played_and_an_approver_issues_it(
    client: TestClient, world: World
) -> None:
    make_station(world, "A1")
    item = approved_audio(world, "A", seconds=30, title="Thông báo tiêm chủng")
    csrf = sign_in(client, world, "operator_a")
    form = client.get("/broadcasts/new")
    assert form.status_code == 200 and "Thông báo tiêm chủng" in form.text
    assert "không cần người duyệt thứ hai" not in form.text  # an operator is no approver
    order_id = _send(client, world, csrf, content_id=str(item), repeat_count="2", volume="80")
    page = _text(client.get(f"/broadcasts/{order_id}?done=ordered").text)
    assert "chờ duyệt" in page and "Phát ngay: Thông báo tiêm chủng" in page
    approve = client.post(f"/broadcasts/{order_id}/approve", data={"csrf_token": csrf})
    assert approve.status_code == 403
    csrf = sign_in(client, world, "approver_a")
    issued = client.post(f"/broadcasts/{order_id}/approve", data={"csrf_token": csrf})
    assert issued.status_code == 200  # followed to the order's page
    page = _text(issued.text)
    assert "đã phát lệnh" in page.lower() and "Cụm loa nhận lệnh 1" in page
    listed = _text(client.get("/broadcasts").text)
    assert "Thông báo tiêm chủng" in listed and "1 cụm loa" in listed
    delivery = client.get(f"/broadcasts/{order_id}/delivery")
    assert delivery.status_code == 200 and "chưa nhận" in _text(delivery.text)


def test_the_duty_officer_stops_the_commune_at_once_and_lifts_it(
    client: TestClient, world: World
) -> None:
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    make_station(world, "A")
    csrf = sign_in(client, world, "duty_a")
    form = _text(client.get("/broadcasts/new?action=stop").text)
    assert "Im lặng trong" in form and "không cần người duyệt thứ hai" in form
    order_id = _send(client, world, csrf, action="stop", minutes="30", issue_now="1")
    page = _text(client.get(f"/broadcasts/{order_id}?done=issued").text)
    assert "Dừng phát" in page and "Bỏ lệnh dừng" in page
    lifted = client.post(f"/broadcasts/{order_id}/end", data={"csrf_token": csrf})
    page = _text(lifted.text)
    assert lifted.status_code == 200 and "quay lại lịch phát" in page
    assert "Bỏ lệnh dừng" not in page


def test_problems_are_shown_beside_their_fields_and_nothing_is_stored(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "operator_a")
    answer = client.post(
        "/broadcasts/new",
        data={"csrf_token": csrf, "area_id": str(world.areas["A"]), "volume": "150"},
    )
    assert answer.status_code == 422
    page = _text(answer.text)
    assert "Đánh dấu ít nhất một địa bàn" in page and "Chọn bản tin đã duyệt để phát" in page
    elsewhere = approved_audio(world, "A", seconds=5)
    answer = client.post(
        "/broadcasts/new",
        data={
            "csrf_token": csrf,
            "area_id": str(world.areas["A"]),
            "target_area_ids": str(world.areas["B"]),
            "content_id": str(elsewhere),
        },
    )
    assert answer.status_code == 403
    assert "Chưa có lệnh phát ngay nào" in _text(client.get("/broadcasts").text)


def test_nobody_outside_the_area_sees_or_ends_an_order(client: TestClient, world: World) -> None:
    world.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    item = approved_audio(world, "A", seconds=5)
    csrf = sign_in(client, world, "duty_a")
    order_id = _send(client, world, csrf, content_id=str(item), issue_now="1")
    csrf = sign_in(client, world, "operator_b")
    assert client.get(f"/broadcasts/{order_id}").status_code == 403
    assert client.get(f"/broadcasts/{order_id}/delivery").status_code == 403
    ended = client.post(f"/broadcasts/{order_id}/end", data={"csrf_token": csrf})
    assert ended.status_code == 403
    assert "Chưa có lệnh phát ngay nào" in _text(client.get("/broadcasts").text)
