"""Users and roles in the administration pages without a browser: the list in scope,
adding a user (a first password shown once), deactivating and reactivating, giving and
taking away a role, a password reset shown once on a no-store answer and kept only
hashed; and the journey: an admin of one province can neither see nor change another
province's users, by the list, by the user's address, or by a crafted form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from core.audit.models import AuditEvent
from core.auth.models import Role, RoleAssignment, User
from core.auth.passwords import verify_password
from tests.web.pages import sign_in
from tests.world import World
from web import admin_common


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _user(world: World, username: str) -> User:
    with world.database.session() as session:
        return session.exec(select(User).where(User.username == username)).one()


def _roles(world: World, username: str) -> set[tuple[str, int]]:
    user_id = world.users[username]
    with world.database.session() as session:
        rows = session.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id))
        return {(r.role.value, r.area_id) for r in rows}


def _audited(world: World) -> int:
    with world.database.session() as session:
        return len(session.exec(select(AuditEvent)).all())


def _shown_password(html: str) -> str:
    found = re.search(r'id="new-password">([^<]+)<', html)
    assert found is not None, html
    return found[1]


def test_the_list_holds_the_users_homed_in_scope(client: TestClient, world: World) -> None:
    sign_in(client, world, "admin_a")
    listed = _text(client.get("/admin/users").text)
    assert "operator_a" in listed and "plain_a" in listed
    assert "plain_b" not in listed and "admin_p" not in listed
    assert "cán bộ vận hành (A)" in listed


def test_a_new_user_gets_a_password_shown_once(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_a")
    form = {
        "csrf_token": csrf,
        "username": "Bad Name!",
        "full_name": "Nguyễn Văn An",
        "area_id": "",
        "role": "operator",
    }
    refused = client.post("/admin/users/new", data=form)
    assert refused.status_code == 422
    assert 'id="username-error"' in refused.text and 'id="area_id-error"' in refused.text
    assert 'value="Nguyễn Văn An"' in refused.text
    taken = client.post(
        "/admin/users/new", data={**form, "username": "plain_a", "area_id": str(world.areas["A1"])}
    )
    assert taken.status_code == 409 and "Tên đăng nhập plain_a đã có người dùng" in _text(
        taken.text
    )
    outside = client.post(
        "/admin/users/new", data={**form, "username": "an", "area_id": str(world.areas["B"])}
    )
    assert outside.status_code == 403 and 'id="area_id-error"' in outside.text
    made = client.post(
        "/admin/users/new",
        data={**form, "username": "nguyen.van.an", "area_id": str(world.areas["A1"])},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    password = _shown_password(made.text)
    an = _user(world, "nguyen.van.an")
    assert verify_password(password, an.password_hash) and password not in an.password_hash
    world.users["nguyen.van.an"] = an.id or 0
    assert _roles(world, "nguyen.van.an") == {("operator", world.areas["A1"])}
    again = client.get(f"/admin/users/{an.id}")
    assert password not in again.text and "no-store" not in again.headers.get("cache-control", "")


def test_a_password_reset_is_shown_once_and_kept_only_hashed(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "admin_a")
    target = world.users["operator_a"]
    before = _audited(world)
    reset = client.post(f"/admin/users/{target}/password", data={"csrf_token": csrf})
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    password = _shown_password(reset.text)
    assert verify_password(password, _user(world, "operator_a").password_hash)
    assert password not in client.get(f"/admin/users/{target}").text
    with world.database.session() as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert len(events) == before + 1 and events[-1].action == "user.update"
    assert all(password not in e.after_json + e.before_json for e in events)
    signed_in = client.post(
        "/api/v1/auth/login", json={"username": "operator_a", "password": password}
    )
    assert signed_in.status_code == 200  # the person signs in with it
    unsigned = client.post(f"/admin/users/{target}/password", data={})
    assert unsigned.status_code == 403


def test_deactivate_reactivate_and_roles(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_a")
    target = world.users["plain_a"]
    off = client.post(
        f"/admin/users/{target}/active",
        data={"csrf_token": csrf, "active": "0"},
        follow_redirects=False,
    )
    assert off.status_code == 303 and not _user(world, "plain_a").is_active
    on = client.post(
        f"/admin/users/{target}/active",
        data={"csrf_token": csrf, "active": "1"},
        follow_redirects=False,
    )
    assert on.status_code == 303 and _user(world, "plain_a").is_active
    own = client.post(
        f"/admin/users/{world.users['admin_a']}/active", data={"csrf_token": csrf, "active": "0"}
    )
    assert own.status_code == 422 and "Bạn không thể tự khoá" in own.text
    url = f"/admin/users/{target}/roles"
    missing = client.post(
        url, data={"csrf_token": csrf, "role": "", "area_id": str(world.areas["A1"])}
    )
    assert missing.status_code == 422 and 'id="role-error"' in missing.text
    outside = client.post(
        url, data={"csrf_token": csrf, "role": "approver", "area_id": str(world.areas["B"])}
    )
    assert outside.status_code == 403 and 'id="area_id-error"' in outside.text
    given = client.post(
        url,
        data={"csrf_token": csrf, "role": "approver", "area_id": str(world.areas["A1"])},
        follow_redirects=False,
    )
    assert given.status_code == 303
    assert _roles(world, "plain_a") == {("approver", world.areas["A1"])}
    twice = client.post(
        url, data={"csrf_token": csrf, "role": "approver", "area_id": str(world.areas["A1"])}
    )
    assert twice.status_code == 409 and "đã có vai trò này" in twice.text
    with world.database.session() as session:
        assignment = session.exec(
            select(RoleAssignment).where(RoleAssignment.user_id == target)
        ).one()
    removed = client.post(
        f"{url}/{assignment.id}/remove", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303 and _roles(world, "plain_a") == set()


def test_an_admin_of_one_province_cannot_see_or_change_anothers_users(
    client: TestClient, world: World
) -> None:
    world.add_area("Q1", "Q", "commune")
    world.add_user("admin_q", area="Q", roles={Role.admin: "Q"})
    victim = world.add_user("operator_q1", area="Q1", roles={Role.operator: "Q1"})
    csrf = sign_in(client, world, "admin_p")
    before = _audited(world)
    hash_before = _user(world, "operator_q1").password_hash
    # By the list: not there, not even when asked for province Q's users.
    assert "operator_q1" not in client.get("/admin/users").text
    assert client.get(f"/admin/users?area={world.areas['Q']}").status_code == 403
    # By the user's address.
    page = client.get(f"/admin/users/{victim}")
    assert page.status_code == 403 and "operator_q1" not in page.text
    # By crafted forms: each refused, nothing written.
    for path, data in (
        (f"/admin/users/{victim}/password", {}),
        (f"/admin/users/{victim}/active", {"active": "0"}),
        (f"/admin/users/{victim}/roles", {"role": "admin", "area_id": str(world.areas["P"])}),
        (f"/admin/users/{victim}/roles/1/remove", {}),
        (f"/admin/users/{world.users['admin_q']}/password", {}),
    ):
        answer = client.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code in (403, 404), (path, answer.status_code)
        assert "new-password" not in answer.text
    # A user of P given a role in Q by a crafted form: refused beside the area.
    crafted = client.post(
        f"/admin/users/{world.users['plain_a']}/roles",
        data={"csrf_token": csrf, "role": "admin", "area_id": str(world.areas["Q"])},
    )
    assert crafted.status_code == 403
    # A new user homed in Q.
    made = client.post(
        "/admin/users/new",
        data={"csrf_token": csrf, "username": "spy", "area_id": str(world.areas["Q1"]), "role": ""},
    )
    assert made.status_code == 403
    victim_now = _user(world, "operator_q1")
    assert victim_now.is_active and victim_now.password_hash == hash_before
    assert _roles(world, "operator_q1") == {("operator", world.areas["Q1"])}
    with world.database.session() as session:
        assert session.exec(select(User).where(User.username == "spy")).first() is None
    assert _audited(world) == before
    # And the other way round: Q's admin manages Q's users.
    sign_in(client, world, "admin_q")
    assert client.get(f"/admin/users/{victim}").status_code == 200


def test_a_scope_too_long_to_list_offers_the_way_to_the_users_area(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_common, "AREAS_LISTED", 3)  # as a national admin's 3,355 areas
    sign_in(client, world, "admin_p")
    page = client.get(f"/admin/users/{world.users['operator_a']}")  # homed in commune A
    picker = re.search(r'<select id="area_id".*?</select>', page.text, re.S)
    assert picker is not None
    offered = re.findall(r'<option value="(\d+)"', picker[0])
    assert offered == [str(world.areas[a]) for a in ("P", "A", "A1")]
    new = client.get("/admin/users/new")
    offered = re.findall(r'<option value="(\d+)"', new.text)
    assert offered[:3] == [str(world.areas[a]) for a in ("P", "A", "B")]
