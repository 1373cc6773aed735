"""The area tree's administration pages without a browser: browsing with breadcrumbs,
adding a child (problems beside the fields, what was typed kept), renaming and moving
within the scope only, deleting after a confirmation, the menu's entry, and importing the
official areas in the background with its progress part reaching done."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.areas.import_vn import ImportResult, import_areas
from core.areas.models import Area
from core.audit.models import AuditEvent
from core.auth.models import Role
from tests.dependencies import depends_on
from tests.web.pages import sign_in
from tests.world import World
from web import admin_areas, admin_groups, admin_import, admin_pages, admin_policy, admin_users
from web.session import require_csrf


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _area(world: World, area_id: int) -> Area:
    with world.database.session() as session:
        found = session.get(Area, area_id)
        assert found is not None
        return found


def _events(world: World, action: str) -> int:
    with world.database.session() as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_every_admin_form_needs_its_csrf_token() -> None:
    modules = (admin_areas, admin_groups, admin_import, admin_pages, admin_policy, admin_users)
    posts = [
        route
        for module in modules
        for route in module.router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]
    assert len(posts) == 14
    for route in posts:
        assert depends_on(route, lambda call: call is require_csrf), route.path


def test_the_menu_shows_administration_to_admins_only(client: TestClient, world: World) -> None:
    sign_in(client, world, "admin_a")
    assert 'href="/admin"' in client.get("/").text
    landing = client.get("/admin")
    assert landing.status_code == 200 and "Người dùng và vai trò" in landing.text
    sign_in(client, world, "operator_a")
    assert 'href="/admin"' not in client.get("/").text
    assert client.get("/admin/areas").status_code == 403
    sign_in(client, world, "supervisor_a")
    assert client.get("/admin").status_code == 403


def test_an_admin_browses_down_the_tree_with_breadcrumbs(client: TestClient, world: World) -> None:
    sign_in(client, world, "admin_p")
    top = client.get("/admin/areas", follow_redirects=False)
    assert top.status_code == 303 and top.headers["location"] == f"/admin/areas/{world.areas['P']}"
    province = _text(client.get(top.headers["location"]).text)
    assert "Địa bàn trực thuộc P (2)" in province and " A " in province and " B " in province
    commune = client.get(f"/admin/areas/{world.areas['A']}")
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', commune.text, re.S)
    assert crumbs is not None and f'href="/admin/areas/{world.areas["P"]}"' in crumbs[0]
    assert client.get(f"/admin/areas/{world.areas['Q']}").status_code == 403


def test_adding_an_area_names_what_is_wrong_and_keeps_what_was_typed(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "admin_a")
    url = f"/admin/areas/{world.areas['A']}/children"
    refused = client.post(
        url, data={"csrf_token": csrf, "name": "", "level": "village", "code": "X9"}
    )
    assert refused.status_code == 422 and 'id="name-error"' in refused.text
    assert 'value="X9"' in refused.text and 'value="village"' in refused.text
    form = {"csrf_token": csrf, "name": "Thôn Đông", "level": "village", "code": "X9"}
    added = client.post(url, data=form, follow_redirects=False)
    assert added.status_code == 303
    child_id = int(added.headers["location"].split("/")[3].split("?")[0])
    assert _area(world, child_id).path.startswith(_area(world, world.areas["A"]).path)
    again = client.post(url, data={**form, "name": "Thôn Tây"})
    assert again.status_code == 409 and 'id="code-error"' in again.text
    assert "Mã X9 đã được dùng cho Thôn Đông" in _text(again.text)
    outside = client.post(f"/admin/areas/{world.areas['B']}/children", data={**form, "code": ""})
    assert outside.status_code == 403
    with world.database.session() as session:
        names = session.exec(select(Area.name).where(col(Area.name).like("Thôn%"))).all()
    assert names == ["Thôn Đông"]  # nothing half-written
    unsigned = client.post(url, data={**form, "csrf_token": "forged", "code": ""})
    assert unsigned.status_code == 403


def test_rename_and_move_stay_within_the_scope(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_p")
    edit = client.get(f"/admin/areas/{world.areas['A1']}/edit")
    assert edit.status_code == 200
    options = re.findall(r'<option value="(\d+)"', edit.text)
    assert sorted(options) == sorted([str(world.areas["A"]), str(world.areas["B"])])
    base = {"csrf_token": csrf, "name": "Thôn A1 mới", "code": "", "division_type": "thôn"}
    moved = client.post(
        f"/admin/areas/{world.areas['A1']}/edit",
        data={**base, "parent_id": str(world.areas["B"])},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    a1 = _area(world, world.areas["A1"])
    assert a1.name == "Thôn A1 mới" and a1.parent_id == world.areas["B"]
    assert a1.path.startswith(_area(world, world.areas["B"]).path)
    # Out of the scope: to province Q, refused beside the field, nothing written.
    away = client.post(
        f"/admin/areas/{world.areas['A1']}/edit",
        data={**base, "name": "Đi xa", "parent_id": str(world.areas["Q"])},
    )
    assert away.status_code == 403 and 'id="parent_id-error"' in away.text
    assert 'value="Đi xa"' in away.text
    assert _area(world, world.areas["A1"]).name == "Thôn A1 mới"
    # Under itself, by a crafted form: refused beside the field, in Vietnamese.
    under = client.post(
        f"/admin/areas/{world.areas['B']}/edit",
        data={**base, "name": "B", "parent_id": str(world.areas["A1"])},
    )
    assert under.status_code == 422 and 'id="parent_id-error"' in under.text
    assert "Không thể chuyển một địa bàn vào chính nó" in under.text
    # Its own province is its parent's (the country's) admins' to rename.
    assert client.get(f"/admin/areas/{world.areas['P']}/edit").status_code == 403
    assert _events(world, "area.update") == 1


def test_an_area_is_deleted_after_a_confirmation_only_when_empty(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "admin_p")
    busy = world.areas["A1"]
    world.add_user("homed_a1", area="A1")
    confirm = client.get(f"/admin/areas/{busy}/delete")
    assert confirm.status_code == 200 and "Có, xoá" in confirm.text
    refused = client.post(f"/admin/areas/{busy}/delete", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "Có người dùng thuộc địa bàn này" in refused.text
    empty = world.add_area("Thôn trống", "B", "village")
    gone = client.post(
        f"/admin/areas/{empty}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert gone.status_code == 303
    with world.database.session() as session:
        assert session.get(Area, empty) is None and session.get(Area, busy) is not None
    assert _events(world, "area.delete") == 1


def test_only_a_national_admin_imports(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_p")
    assert client.get("/admin/areas/import").status_code == 403
    refused = client.post("/admin/areas/import", data={"csrf_token": csrf, "province": "12"})
    assert refused.status_code == 403
    with world.database.session() as session:
        assert session.exec(select(Area).where(Area.code == "12")).first() is None


def test_an_import_runs_in_the_background_and_its_progress_reaches_done(
    client: TestClient, world: World, app: FastAPI
) -> None:
    world.add_user("admin_vn", area="Việt Nam", roles={Role.admin: "Việt Nam"})
    csrf = sign_in(client, world, "admin_vn")
    form = client.get("/admin/areas/import")
    assert form.status_code == 200 and "Lai Châu" in form.text
    bad = client.post("/admin/areas/import", data={"csrf_token": csrf, "province": "99"})
    assert bad.status_code == 422 and 'id="province-error"' in bad.text
    started = client.post(
        "/admin/areas/import", data={"csrf_token": csrf, "province": "12"}, follow_redirects=False
    )
    assert started.status_code == 303
    url = started.headers["location"]
    app.state.area_imports.join(60)
    part = client.get(url, headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.headers["cache-control"] == "no-store"
    assert 'data-state="done"' in part.text and "every 1s" not in part.text  # polling stops
    assert "39 tạo mới, 0 cập nhật, 0 không đổi" in _text(part.text)
    with world.database.session() as session:
        lai_chau = session.exec(select(Area).where(Area.code == "12")).one()
        communes = session.exec(select(Area).where(Area.parent_id == lai_chau.id)).all()
    assert len(communes) == 38
    assert _events(world, "area.create") >= 39  # each one audited
    again = client.post(
        "/admin/areas/import", data={"csrf_token": csrf, "province": "12"}, follow_redirects=False
    )
    app.state.area_imports.join(60)
    assert "0 tạo mới, 0 cập nhật, 39 không đổi" in _text(
        client.get(again.headers["location"]).text
    )
    sign_in(client, world, "admin_a")
    assert client.get(url).status_code == 403  # another's job: not even its progress


def test_a_running_import_polls_every_second(
    client: TestClient, world: World, app: FastAPI
) -> None:
    from web.admin_import import AreaImports, ImportJob

    world.add_user("admin_vn2", area="Việt Nam", roles={Role.admin: "Việt Nam"})
    sign_in(client, world, "admin_vn2")
    assert client.get("/admin/areas/import/999").status_code == 404  # no such job
    imports: AreaImports = app.state.area_imports
    user_id = world.users["admin_vn2"]
    started = imports.clock.now()
    imports._jobs[999] = ImportJob(id=999, user_id=user_id, total=200, started_at=started, done=50)
    page = client.get("/admin/areas/import/999")
    assert 'hx-trigger="every 1s"' in page.text and "50 / 200" not in page.text
    assert "50 trên 200 địa bàn (25%)" in _text(page.text)
    assert '<meta http-equiv="refresh"' in page.text  # without JavaScript: the page reloads


def test_the_pages_speak_english_too(client: TestClient, world: World) -> None:
    sign_in(client, world, "admin_p")
    client.cookies.set("loaxa_lang", "en")
    for url, words in (
        ("/admin", "Users and roles"),
        (f"/admin/areas/{world.areas['P']}", "Areas under P"),
        (f"/admin/areas/{world.areas['A']}/edit", "Rename or move A"),
        (f"/admin/areas/{world.areas['A']}/delete", "Delete A?"),
        (f"/admin/areas/{world.areas['A']}/policy", "Broadcast rules of A"),
        ("/admin/users", "Add a user"),
        (f"/admin/users/{world.users['operator_a']}", "Reset the password"),
        ("/admin/groups", "Add a group"),
    ):
        page = client.get(url)
        assert page.status_code == 200 and words in page.text, url


def test_a_failed_import_says_so_and_leaves_nothing_half_written(
    client: TestClient, world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def breaks_at_the_end(**kwargs: Any) -> ImportResult:
        import_areas(**kwargs)  # every area made, in the one transaction...
        raise RuntimeError("the disk is full")  # ...which then fails

    monkeypatch.setattr(admin_import, "import_areas", breaks_at_the_end)
    world.add_user("admin_vn3", area="Việt Nam", roles={Role.admin: "Việt Nam"})
    csrf = sign_in(client, world, "admin_vn3")
    started = client.post(
        "/admin/areas/import", data={"csrf_token": csrf, "province": "12"}, follow_redirects=False
    )
    app.state.area_imports.join(60)
    page = client.get(started.headers["location"])
    assert 'data-state="failed"' in page.text and "không thay đổi gì" in page.text
    with world.database.session() as session:
        assert session.exec(select(Area).where(Area.code == "12")).first() is None
