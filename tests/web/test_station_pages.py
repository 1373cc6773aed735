"""The stations' pages (Cụm loa) without a browser: the board's counts per area and its
204 when unchanged, the scope, adding a cluster (problems beside the fields), the one-time
code with the install command, and revoking after a confirmation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from core.auth.tokens import revoke_token
from core.deps import get_database
from stations.fleet.models import StationAgent
from stations.models import Station
from stations.protocol import ENROLL_PATH
from tests.stations.factories import make_station
from tests.stations.fleet.factories import enrol
from tests.web.pages import sign_in
from tests.world import World, now
from web.session import SESSION_COOKIE


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _heard_now(world: World, station_id: int) -> None:
    with world.database.session(write=True) as session:
        agent = session.get(StationAgent, station_id)
        assert agent is not None
        agent.last_seen_at = datetime.now(UTC)
        agent.volume = 70
        agent.clock_offset_ms = 1
        session.add(agent)
        session.commit()


def test_the_board_counts_each_area_and_lists_the_clusters(
    client: TestClient, world: World
) -> None:
    online = make_station(world, "A1")
    enrol(world, online)
    _heard_now(world, online)
    enrol(world, make_station(world, "A1"))  # enrolled, never heard from: offline
    make_station(world, "A")  # not enrolled, standing in the commune itself
    sign_in(client, world, "admin_p")
    page = client.get(f"/stations?area={world.areas['A']}")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "A: 1/3 đang hoạt động · 1 mất kết nối · 1 chưa kết nối" in text
    assert "A1 1/2 đang hoạt động · 1 mất kết nối" in text
    assert "Các cụm loa của A itself" not in text
    assert "70%" in text  # the online one's volume
    top = _text(client.get("/stations").text)
    assert "P 1/3 đang hoạt động" in top  # admin_p's scope is the province


def test_an_unchanged_board_is_a_204(client: TestClient, world: World) -> None:
    make_station(world, "A1")
    sign_in(client, world, "admin_a")
    page = client.get("/stations")
    seen = re.search(r"seen=([0-9a-f]{16})", page.text)
    assert seen is not None, page.text
    fragment = client.get(f"/stations/board?seen={seen[1]}", headers={"HX-Request": "true"})
    assert fragment.status_code == 204
    changed = client.get(
        "/stations/board?seen=0000000000000000", headers={"Accept-Encoding": "gzip"}
    )
    assert changed.status_code == 200 and 'id="board"' in changed.text
    assert changed.headers["content-encoding"] == "gzip"  # TestClient inflates it


def test_no_one_sees_another_areas_clusters(client: TestClient, world: World) -> None:
    other = make_station(world, "B1")
    sign_in(client, world, "admin_a")
    assert client.get(f"/stations?area={world.areas['B']}").status_code == 403
    assert client.get(f"/stations/board?area={world.areas['B']}").status_code == 403
    refused = client.get(f"/stations/{other}")
    assert refused.status_code == 403 and "<html" in refused.text
    assert client.get(f"/stations/{other}/revoke").status_code == 403
    board = _text(client.get("/stations").text)
    assert "B1" not in board


def test_adding_a_cluster_names_what_is_missing_and_keeps_what_was_typed(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, world, "admin_a")
    form = {"csrf_token": csrf, "name": "", "area_id": "", "latitude": "21,5"}
    refused = client.post("/stations/new", data=form)
    assert refused.status_code == 422
    assert refused.text.count('class="field-error"') == 2  # the name, the area
    assert 'value="21,5"' in refused.text
    form |= {"name": "Cụm loa thôn Đông", "area_id": str(world.areas["A1"])}
    lone = client.post("/stations/new", data=form)  # a latitude without its longitude
    assert lone.status_code == 422 and 'id="longitude-error"' in lone.text
    outside = {**form, "area_id": str(world.areas["B"]), "longitude": "105,8"}
    assert client.post("/stations/new", data=outside).status_code == 403
    with world.database.session() as session:
        assert session.exec(select(Station)).all() == []  # nothing half-written


def test_a_new_cluster_gets_a_code_that_enrols_its_pi(client: TestClient, world: World) -> None:
    csrf = sign_in(client, world, "admin_a")
    form = {"csrf_token": csrf, "name": "Cụm loa thôn Đông", "area_id": str(world.areas["A1"])}
    added = client.post("/stations/new", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    station_page = client.get(added.headers["location"])
    assert "Đã thêm cụm loa" in _text(station_page.text)
    station_id = int(added.headers["location"].split("/")[2].split("?")[0])
    shown = client.post(f"/stations/{station_id}/code", data={"csrf_token": csrf})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    code = re.search(r'id="enrol-code">([^<]+)<', shown.text)
    assert code is not None
    command = f"sudo deploy/pi/install.sh --server http://testserver --enroll {code[1]}"
    assert command in shown.text
    enrolled = client.post(
        ENROLL_PATH, json={"code": code[1], "hardware_id": "pi-1", "agent_version": "test"}
    )
    assert enrolled.status_code == 201, enrolled.text


def test_revoking_asks_first_then_refuses_the_agent(client: TestClient, world: World) -> None:
    station = make_station(world, "A1")
    enrol(world, station)
    csrf = sign_in(client, world, "admin_a")
    confirm = client.get(f"/stations/{station}/revoke")
    assert confirm.status_code == 200 and "Có, thu hồi" in confirm.text
    assert client.post(f"/stations/{station}/revoke", data={}).status_code == 403  # no CSRF
    revoked = client.post(
        f"/stations/{station}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    with world.database.session() as session:
        agent = session.get(StationAgent, station)
        assert agent is not None and agent.token_hash is None
    again = client.post(f"/stations/{station}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 409 and 'role="alert"' in again.text


def test_an_operator_sees_the_board_but_cannot_add_or_revoke(
    client: TestClient, world: World
) -> None:
    station = make_station(world, "A1")
    sign_in(client, world, "operator_a")
    board = client.get("/stations")
    assert board.status_code == 200 and "/stations/new" not in board.text
    page = client.get(f"/stations/{station}")
    assert page.status_code == 200 and f"/stations/{station}/code" not in page.text
    assert client.get("/stations/new").status_code == 403


def test_a_heartbeat_that_changes_nothing_shown_leaves_the_board_as_it_was(
    client: TestClient, world: World
) -> None:
    """An online station's heartbeats move its last-seen time and jitter its clock offset
    by a few ms: the board shows neither, so its digest holds and open boards get 204s."""
    station = make_station(world, "A1")
    enrol(world, station)
    _heard_now(world, station)
    sign_in(client, world, "admin_a")
    seen = re.search(r"seen=([0-9a-f]{16})", client.get("/stations").text)
    assert seen is not None
    with world.database.session(write=True) as session:
        agent = session.get(StationAgent, station)
        assert agent is not None
        agent.last_seen_at = datetime.now(UTC) + timedelta(minutes=1)
        agent.clock_offset_ms = 3
        session.add(agent)
        session.commit()
    client.app.state.live_cache = None  # type: ignore[attr-defined]  # read afresh
    assert client.get(f"/stations/board?seen={seen[1]}").status_code == 204
    with world.database.session(write=True) as session:
        agent = session.get(StationAgent, station)
        assert agent is not None
        agent.volume = 40  # what an operator sees: the board changes
        session.add(agent)
        session.commit()
    client.app.state.live_cache = None  # type: ignore[attr-defined]
    changed = client.get(f"/stations/board?seen={seen[1]}")
    assert changed.status_code == 200 and "40%" in changed.text


def test_an_unchanged_boards_poll_is_answered_before_the_sign_in_and_shows_nothing_new(
    client: TestClient, world: World
) -> None:
    """The 204 comes from memory (the page's own answer said which part this browser
    polls): after a sign-out it still says "unchanged" for a while, but anything new needs
    the route, which asks for the sign-in again."""
    make_station(world, "A1")
    sign_in(client, world, "admin_a")
    seen = re.search(r"seen=([0-9a-f]{16})", client.get("/stations").text)
    assert seen is not None
    with world.database.session(write=True) as session:
        revoke_token(session=session, token=client.cookies[SESSION_COOKIE], now=now())
        session.commit()
    assert client.get(f"/stations/board?seen={seen[1]}").status_code == 204
    other = client.get("/stations/board?seen=0000000000000000", follow_redirects=False)
    assert other.status_code == 303 and other.headers["location"].startswith("/login")


def test_a_changed_boards_poll_is_answered_from_memory_while_the_sign_in_holds(
    client: TestClient, world: World
) -> None:
    """A part that changed since the page drew it comes from the kept render, after one
    query that the sign-in still holds: not through the route (which is broken here to
    show it); once the token is revoked, it goes through the route to sign in again."""
    make_station(world, "A1")
    sign_in(client, world, "admin_a")
    assert "seen=" in client.get("/stations").text

    def broken() -> None:
        raise AssertionError("the route ran")

    client.app.dependency_overrides[get_database] = broken  # type: ignore[attr-defined]
    try:
        fresh = client.get(
            "/stations/board?seen=0000000000000000", headers={"accept-encoding": "gzip"}
        )
        assert fresh.status_code == 200 and "Cụm loa" in fresh.text
        assert fresh.headers["cache-control"] == "no-store"
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    with world.database.session(write=True) as session:
        revoke_token(session=session, token=client.cookies[SESSION_COOKIE], now=now())
        session.commit()
    gone = client.get("/stations/board?seen=0000000000000000", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
