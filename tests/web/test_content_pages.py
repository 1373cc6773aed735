"""The content library, an item, approval and new content, without a browser: what each
page shows in whose scope, and refusals beside what they concern, in Vietnamese."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from playlists.content.models import ContentItem, ContentKind, ContentStatus
from tests.playlists.content.factories import make_item
from tests.web.pages import sign_in
from tests.world import World


def _status(world: World, item_id: int) -> ContentStatus:
    with world.database.session() as session:
        item = session.get(ContentItem, item_id)
        assert item is not None
        return item.status


def test_the_library_lists_only_the_callers_areas_and_filters(
    client: TestClient, world: World
) -> None:
    make_item(world, "A", title="Lịch tiêm phòng dại", status=ContentStatus.approved)
    make_item(world, "A1", title="Họp thôn A1")
    make_item(world, "B", title="Tin xã B")
    sign_in(client, world, "operator_a")
    page = client.get("/content")
    assert page.status_code == 200
    assert "Lịch tiêm phòng dại" in page.text and "Họp thôn A1" in page.text
    assert "Tin xã B" not in page.text
    approved = client.get("/content", params={"status": "approved"}, headers={"HX-Request": "true"})
    assert "Lịch tiêm phòng dại" in approved.text and "Họp thôn A1" not in approved.text
    assert "<html" not in approved.text  # a fragment for htmx
    searched = client.get("/content", params={"q": "họp", "status": "bogus"})
    assert "Họp thôn A1" in searched.text and "Lịch tiêm" not in searched.text


def test_another_communes_item_is_refused_in_vietnamese(client: TestClient, world: World) -> None:
    theirs = make_item(world, "B", title="Tin xã B")
    sign_in(client, world, "operator_a")
    page = client.get(f"/content/{theirs}")
    assert page.status_code == 403
    assert "ngoài địa bàn của bạn" in page.text and "Tin xã B" not in page.text
    assert client.get(f"/content/{theirs}/audio").status_code == 403


def test_the_item_page_shows_its_history_with_the_reason(client: TestClient, world: World) -> None:
    item = make_item(world, "A", title="Thông báo họp", status=ContentStatus.rejected)
    sign_in(client, world, "operator_a")
    page = client.get(f"/content/{item}")
    assert page.status_code == 200
    assert "Lý do: không đạt" in page.text
    for step in ("đã tạo", "gửi duyệt", "trả lại để sửa"):
        assert step in page.text.lower(), step


def test_an_approver_approves_a_colleagues_item_but_not_their_own(
    client: TestClient, world: World
) -> None:
    theirs = make_item(world, "A", title="Tin của đồng nghiệp", status=ContentStatus.submitted)
    own = make_item(
        world, "A", by="approver_a", title="Tin tự viết", status=ContentStatus.submitted
    )
    csrf = sign_in(client, world, "approver_a")
    queue = client.get("/approvals")
    assert "Tin của đồng nghiệp" in queue.text and "Tin tự viết" in queue.text
    assert "nguyên tắc bốn mắt" in queue.text
    form = {"step": "approve", "back": "/approvals", "csrf_token": csrf}
    refused = client.post(f"/content/{own}/review", data=form)
    assert refused.status_code == 403
    assert re.search(rf'id="refused-{own}"[^>]*>[^<]*bốn mắt', refused.text)
    assert _status(world, own) == ContentStatus.submitted
    done = client.post(f"/content/{theirs}/review", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/approvals?done=")
    assert _status(world, theirs) == ContentStatus.approved
    assert "Tin của đồng nghiệp” đã được duyệt" in client.get(done.headers["location"]).text


def test_a_reason_too_short_is_shown_beside_it_and_kept(client: TestClient, world: World) -> None:
    item = make_item(world, "A", title="Tin cần sửa", status=ContentStatus.submitted)
    csrf = sign_in(client, world, "approver_a")
    form = {"step": "reject", "reason": "x", "back": f"/content/{item}", "csrf_token": csrf}
    answer = client.post(f"/content/{item}/review", data=form)
    assert answer.status_code == 422
    assert re.search(r'id="reason-error">Hãy viết ít nhất 3 ký tự', answer.text)
    assert re.search(r'<textarea id="reason"[^>]*>x</textarea>', answer.text)
    assert _status(world, item) == ContentStatus.submitted


def test_a_form_without_its_csrf_token_changes_nothing(client: TestClient, world: World) -> None:
    item = make_item(world, "A", status=ContentStatus.submitted)
    sign_in(client, world, "approver_a")
    answer = client.post(f"/content/{item}/review", data={"step": "approve"})
    assert answer.status_code == 403 and _status(world, item) == ContentStatus.submitted


def test_a_typed_bulletin_keeps_its_text_when_the_title_is_missing(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "operator_a")
    area = str(world.areas["A"])
    form = {"text": "Kính mời bà con đi họp.", "voice": "vi", "area_id": area, "csrf_token": csrf}
    answer = client.post("/content/new/tts", data=form)
    assert answer.status_code == 422
    assert re.search(r'id="title-error">Ô này bắt buộc', answer.text)
    assert "Kính mời bà con đi họp." in answer.text
    created = client.post(
        "/content/new/tts", data={**form, "title": "Thông báo họp"}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    item_id = int(created.headers["location"].split("/")[2].split("?")[0])
    with world.database.session() as session:
        item = session.get(ContentItem, item_id)
        assert item is not None and item.kind == ContentKind.tts and item.language == "vi"
        assert item.status == ContentStatus.draft and item.duration_s


def test_listening_reads_the_text_and_stores_nothing(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "operator_a")
    answer = client.post(
        "/content/new/tts/listen",
        data={"text": "Xin chào bà con.", "voice": "vi"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200 and answer.content[:4] == b"\x1a\x45\xdf\xa3"
    empty = client.post(
        "/content/new/tts/listen", data={"text": " ", "voice": "vi"}, headers={"X-CSRF-Token": csrf}
    )
    assert empty.status_code == 422 and "Văn bản trống" in empty.text
    with world.database.session() as session:
        assert session.query(ContentItem).count() == 0


def test_a_junk_recording_is_refused_beside_the_file(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "operator_a")
    answer = client.post(
        "/content/new/record",
        data={"title": "Bản ghi", "area_id": str(world.areas["A"]), "csrf_token": csrf},
        files={"file": ("recording.webm", b"not audio at all", "audio/webm")},
    )
    assert answer.status_code == 422
    assert re.search(r'id="file-error">Đây không phải tệp âm thanh', answer.text)
    assert 'value="Bản ghi"' in answer.text


def test_a_relay_with_a_wrong_address_says_so_beside_it(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "operator_a")
    area = str(world.areas["A"])
    form = {"title": "VOV1", "stream_url": "vov1", "area_id": area, "csrf_token": csrf}
    answer = client.post("/content/new/relay", data=form)
    assert answer.status_code == 422
    assert re.search(r'id="stream_url-error">', answer.text) and 'value="vov1"' in answer.text


def test_help_speaks_the_chosen_language(client: TestClient, world: World) -> None:
    sign_in(client, world, "operator_a")
    assert "Cán bộ vận hành" in client.get("/help").text
    client.cookies.set("loaxa_lang", "en")
    assert "Operator: write bulletins" in client.get("/help").text


def test_the_library_takes_its_filter_form_as_sent(client: TestClient, world: World) -> None:
    """An empty choice comes as an empty value: it means no filter, not a bad request."""
    sign_in(client, world, "operator_a")
    form = {"q": "", "status": "", "tier": "", "kind": "", "area_id": "", "language": ""}
    assert client.get("/content", params=form).status_code == 200
    assert client.get("/content", params={**form, "area_id": "abc"}).status_code == 200
