"""An area's broadcast rules in the administration pages without a browser: each field
shows what it inherits and from which area; saving sets the area's own values (audited),
clearing a field inherits again; bad input is named beside its field, typed values kept,
nothing written; another area's rules are out of reach."""

from __future__ import annotations

import re
from datetime import time

from fastapi.testclient import TestClient
from sqlmodel import select

from core.audit.chain import Actor
from core.audit.models import AuditEvent
from playlists.sessions.models import PolicyIn, QuietHoursIn
from playlists.sessions.policy import own_policy, set_policy
from tests.web.pages import sign_in
from tests.world import World, now


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _set(world: World, area: str, policy: PolicyIn) -> None:
    with world.database.session(write=True) as session:
        set_policy(
            session=session,
            area_id=world.areas[area],
            policy_in=policy,
            actor=Actor(id=None, name="setup"),
            now=now(),
        )
        session.commit()


def _own(world: World, area: str) -> PolicyIn:
    with world.database.session() as session:
        return own_policy(session=session, area_id=world.areas[area])


def _inherit_line(html: str, name: str) -> str:
    found = re.search(rf'id="{name}-inherit">([^<]+)<', html)
    assert found is not None, name
    return found[1]


FORM = {
    "quiet_hours": "",
    "max_session_minutes": "",
    "max_sessions_per_day": "",
    "dates_off": "",
    "default_volume": "",
}


def test_each_field_shows_what_it_inherits_and_from_where(client: TestClient, world: World) -> None:
    _set(world, "P", PolicyIn(max_session_length_s=30 * 60, days_off=[6]))
    quiet = [QuietHoursIn(start=time(22), end=time(5))]
    _set(world, "A", PolicyIn(quiet_hours=quiet, max_sessions_per_day=3))
    sign_in(client, world, "admin_a")
    page = client.get(f"/admin/areas/{world.areas['A1']}/policy")
    assert page.status_code == 200
    assert _inherit_line(page.text, "quiet_hours") == "Để trống thì kế thừa: 22:00–05:00 (từ A)"
    assert (
        _inherit_line(page.text, "max_session_length_s") == "Để trống thì kế thừa: 30 phút (từ P)"
    )
    assert _inherit_line(page.text, "max_sessions_per_day").endswith("3 (từ A)")
    assert _inherit_line(page.text, "days_off").endswith("Chủ Nhật (từ P)")
    assert _inherit_line(page.text, "default_volume") == (
        "Để trống thì: không có (không địa bàn cấp trên nào đặt)"
    )


def test_saving_sets_own_values_and_clearing_inherits_again(
    client: TestClient, world: World
) -> None:
    _set(world, "P", PolicyIn(max_session_length_s=30 * 60))
    csrf = sign_in(client, world, "admin_a")
    url = f"/admin/areas/{world.areas['A']}/policy"
    form = {
        **FORM,
        "csrf_token": csrf,
        "quiet_hours": "22:00-05:00, 11:30–13:30",
        "max_session_minutes": "20",
        "days_off_own": "1",
        "days_off": ["5", "6"],
        "dates_off": "02/09/2027",
        "default_volume": "70",
    }
    saved = client.post(url, data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    own = _own(world, "A")
    assert own.max_session_length_s == 20 * 60 and own.days_off == [5, 6]
    assert [(q.start, q.end) for q in own.quiet_hours or []] == [
        (time(22), time(5)),
        (time(11, 30), time(13, 30)),
    ]
    assert own.default_volume == 70 and own.max_sessions_per_day is None
    shown = client.get(url + "?saved=1")
    assert 'value="20"' in shown.text and "Đã lưu quy định" in shown.text
    cleared = client.post(url, data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert cleared.status_code == 303
    assert _own(world, "A") == PolicyIn()
    with world.database.session() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.action == "policy.set"))
        assert len(list(actions)) == 3  # P's setup, then the two saves


def test_bad_input_is_named_beside_its_field_and_nothing_is_written(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "admin_a")
    url = f"/admin/areas/{world.areas['A']}/policy"
    form = {
        **FORM,
        "csrf_token": csrf,
        "quiet_hours": "22h tới 5h",
        "max_session_minutes": "nửa giờ",
        "max_sessions_per_day": "99",
        "dates_off": "31/02/2027",
        "default_volume": "150",
    }
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    for name in (
        "quiet_hours",
        "max_session_minutes",
        "max_sessions_per_day",
        "dates_off",
        "default_volume",
    ):
        assert f'id="{name}-error"' in refused.text, name
    assert 'value="22h tới 5h"' in refused.text and 'value="nửa giờ"' in refused.text
    assert _own(world, "A") == PolicyIn()


def test_another_areas_rules_are_out_of_reach(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_a")
    url = f"/admin/areas/{world.areas['B']}/policy"
    assert client.get(url).status_code == 403
    crafted = client.post(url, data={**FORM, "csrf_token": csrf, "max_session_minutes": "5"})
    assert crafted.status_code == 403 and _own(world, "B") == PolicyIn()
    sign_in(client, world, "operator_a")
    assert client.get(f"/admin/areas/{world.areas['A']}/policy").status_code == 403
