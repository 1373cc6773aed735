"""The upload pages without a browser (as without JavaScript): the form posts, the job's
page refreshes itself until the item is made; a refused file brings the form back as typed
with the reason beside the file field; another commune's upload is refused."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from core.auth.models import Role
from playlists.content.jobs import JobState
from tests.audio.sounds import tone
from tests.playlists.content.factories import unfinished_job
from tests.web.pages import sign_in
from tests.world import World

WAIT_S = 120


def _post(client: TestClient, csrf: str, world: World, path: Path, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf,
        "title": "Thông báo họp dân",
        "tier": "normal",
        "area_id": str(world.areas["A"]),
        "valid_from": "2026-12-02T06:00",
    } | fields
    with path.open("rb") as handle:
        return client.post(
            "/content/new/upload",
            data=data,
            files={"file": (path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )


def test_the_form_lists_only_the_areas_one_may_write_in(client: TestClient, world: World) -> None:
    sign_in(client, world, "operator_a")
    page = client.get("/content/new/upload")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text and 'enctype="multipart/form-data"' in page.text
    options = re.findall(r'<option value="(\d+)"', page.text)
    assert set(options) == {str(world.areas["A"]), str(world.areas["A1"])}
    assert "ưu tiên" in page.text and "khẩn cấp" in page.text
    sign_in(client, world, "supervisor_a")
    assert client.get("/content/new/upload").status_code == 403


def test_without_javascript_the_job_page_follows_to_the_item(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    csrf = sign_in(client, world, "operator_a")
    answer = _post(client, csrf, world, tone(tmp_path / "hop-dan.wav", seconds=4))
    assert answer.status_code == 303, answer.text
    job_url = answer.headers["location"]
    assert re.fullmatch(r"/content/uploads/\d+", job_url)
    assert client.app.state.uploads.wait(WAIT_S)  # type: ignore[attr-defined]
    page = client.get(job_url)
    assert page.status_code == 200 and "Refresh" not in page.headers
    found = re.search(r'href="/content/(\d+)">Mở bản tin<', page.text)
    assert found, page.text
    assert 'data-state="done"' in page.text and "Chuẩn hoá âm lượng và mã hoá" in page.text
    fragment = client.get(job_url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'data-state="done"' in fragment.text


def test_a_job_under_way_refreshes_itself(client: TestClient, world: World) -> None:
    job_id = unfinished_job(world, state=JobState.running, beat_ago=timedelta(seconds=1))
    sign_in(client, world, "operator_a")
    page = client.get(f"/content/uploads/{job_id}")
    assert page.status_code == 200 and page.headers["refresh"] == "2"
    assert 'aria-current="step"' in page.text and "— 40 %" in page.text


def test_a_refused_file_comes_back_beside_the_file_field_as_typed(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    junk = tmp_path / "bien-ban.mp3"
    junk.write_text("biên bản họp, không phải âm thanh")
    csrf = sign_in(client, world, "operator_a")
    answer = _post(client, csrf, world, junk, tier="priority", category="thông báo")
    assert answer.status_code == 303, answer.text
    assert client.app.state.uploads.wait(WAIT_S)  # type: ignore[attr-defined]
    page = client.get(answer.headers["location"])
    assert page.status_code == 422
    error = re.search(r'<p class="field-error" id="file-error">([^<]+)</p>', page.text)
    assert error and error.group(1).startswith("Đây không phải tệp âm thanh"), page.text
    assert 'value="Thông báo họp dân"' in page.text and 'value="thông báo"' in page.text
    assert re.search(r'<option value="priority"\s+selected>', page.text)
    assert 'value="2026-12-02T06:00"' in page.text  # the area's local time, as typed


def test_the_scripts_answers_are_json(client: TestClient, world: World, tmp_path: Path) -> None:
    csrf = sign_in(client, world, "operator_a")
    source = tone(tmp_path / "a.wav", seconds=2)

    def send(**fields: str):  # type: ignore[no-untyped-def]
        with source.open("rb") as handle:
            return client.post(
                "/content/new/upload",
                data={"area_id": str(world.areas["B"])} | fields,
                files={"file": ("a.wav", handle, "audio/wav")},
                headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
            )

    untitled = send(title="")
    assert untitled.status_code == 422 and set(untitled.json()["problems"]) == {"title"}
    elsewhere = send(title="Tin xã B")
    assert elsewhere.status_code == 403
    assert "ngoài địa bàn của bạn" in elsewhere.json()["problems"]["_"]


def test_another_communes_upload_is_refused(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    csrf = sign_in(client, world, "operator_a")
    answer = _post(client, csrf, world, tone(tmp_path / "a.wav", seconds=2))
    assert client.app.state.uploads.wait(WAIT_S)  # type: ignore[attr-defined]
    world.add_user("operator_b", area="B", roles={Role.operator: "B"})
    sign_in(client, world, "operator_b")
    page = client.get(answer.headers["location"])
    assert page.status_code == 403 and "ngoài địa bàn của bạn" in page.text
    assert "Thông báo họp dân" not in page.text
