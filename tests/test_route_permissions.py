"""Every route × every role × (object inside the role's scope, object outside it).

The cases are keyed by the app's route table: a new route without a case here fails
`test_every_route_has_a_case`, and a route without a declared Permission fails too.
The expectations below are written out by hand, apart from the permission module.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from alerts.models import Alert
from api import ROUTERS, create_app
from core.auth.deps import Permission
from core.auth.models import Role
from core.auth.permissions import PUBLIC_ROUTES
from core.config import load_settings
from playlists.content.models import ContentKind, ContentStatus
from stations.fleet.auth import station_token
from stations.protocol import PREFIX
from tests.alerts.cap_documents import MEDIA_TYPE, cap_alert, give_code
from tests.alerts.factories import make_alert, make_order
from tests.alerts.feed_factories import make_feed
from tests.dependencies import depends_on
from tests.playlists.content.factories import make_item, make_job, short_wav, stored_audio_item
from tests.playlists.sessions.factories import make_entry, make_session
from tests.playlists.timelines.factories import approved_audio
from tests.stations.factories import make_group, make_station
from tests.stations.fleet.factories import add_asrun, enrolled_station, record
from tests.world import World

Where = Literal["inside", "outside"]
ALL_ROLES = frozenset(Role)
ADMIN = frozenset({Role.admin})
READERS = frozenset({Role.admin, Role.supervisor})
OPERATOR = frozenset({Role.operator})
APPROVER = frozenset({Role.approver})
ARCHIVERS = frozenset({Role.operator, Role.approver})
GROUPERS = frozenset({Role.admin, Role.operator})
SCHEDULERS = OPERATOR
REPORTERS = frozenset({Role.admin, Role.supervisor, Role.operator})


@dataclass(frozen=True)
class Call:
    url: str
    json: Any = None
    # multipart uploads
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None

    def send(self, client: TestClient, method: str, headers: dict[str, str] | None = None) -> Any:
        return client.request(
            method, self.url, json=self.json, data=self.data, files=self.files, headers=headers
        )


@dataclass(frozen=True)
class Case:
    allowed: frozenset[Role]
    ok: int
    make: Callable[[World, Where], Call]
    # "refused": outside the scope gets 403; "filtered": a list answers 200 without the rows;
    # "unscoped": the route acts on the caller only, so inside and outside are the same.
    outside: Literal["refused", "filtered", "unscoped"] = "refused"
    # Where a filtered answer keeps its rows.
    rows: str = "data"


def _commune(where: Where) -> str:
    return "A" if where == "inside" else "B"


def _village(world: World, where: Where) -> int:
    return world.add_area(world.fresh_name("v"), _commune(where), "village")


def _user(world: World, where: Where, roles: dict[Role, str] | None = None) -> int:
    return world.add_user(world.fresh_name("u"), area=_commune(where), roles=roles)


def _role_of(world: World, where: Where) -> Call:
    user_id = _user(world, where, {Role.operator: _commune(where)})
    with world.database.session() as session:
        from core.auth.users import roles_of

        assignment = roles_of(session, user_id)[0]
    return Call(f"/api/v1/users/{user_id}/roles/{assignment.id}")


def _content(
    status: ContentStatus = ContentStatus.draft,
    kind: ContentKind = ContentKind.relay,
    suffix: str = "",
    body: Any = None,
) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        item = make_item(world, _commune(where), status=status, kind=kind)
        return Call(f"/api/v1/content/{item}{suffix}", body)

    return make


def _upload(world: World, where: Where) -> Call:
    return Call(
        "/api/v1/content/upload",
        data={"title": "Thông báo", "area_id": str(world.areas[_commune(where)])},
        files={"file": ("tone.wav", short_wav(), "audio/wav")},
    )


def _start_upload(world: World, where: Where) -> Call:
    return Call(
        "/api/v1/content/uploads",
        data={"title": "Thông báo", "area_id": str(world.areas[_commune(where)])},
        files={"file": ("tone.wav", short_wav(), "audio/wav")},
    )


def _upload_job(world: World, where: Where) -> Call:
    return Call(f"/api/v1/content/uploads/{make_job(world, _commune(where))}")


def _replace_audio(world: World, where: Where) -> Call:
    item = make_item(world, _commune(where), kind=ContentKind.audio)
    return Call(
        f"/api/v1/content/{item}/audio", files={"file": ("tone.wav", short_wav(), "audio/wav")}
    )


def _stored_audio(world: World, where: Where) -> Call:
    assert world.storage is not None
    return Call(f"/api/v1/content/{stored_audio_item(world, _commune(where), world.storage)}/audio")


def _station(suffix: str = "", body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/stations/{make_station(world, _commune(where))}{suffix}", body)

    return make


def _area(suffix: str, body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/reports/areas/{world.areas[_commune(where)]}{suffix}", body)

    return make


def _proof_of_play(world: World, where: Where) -> Call:
    """A bulletin of the province aired on a station of the commune (inside or outside)."""
    content = approved_audio(world, "P")
    add_asrun(world, make_station(world, _commune(where)), record(content_id=content))
    return Call(f"/api/v1/reports/proof-of-play?content_id={content}")


def _proof_of_play_export(world: World, where: Where) -> Call:
    """The file holds only the caller's stations, as the report does (checked there)."""
    return Call(_proof_of_play(world, where).url.replace("proof-of-play?", "proof-of-play/export?"))


def _station_report(suffix: str) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        station = make_station(world, _commune(where))
        return Call(f"/api/v1/reports/stations/{station}{suffix}")

    return make


_TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _enrolled(suffix: str) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        station_id, _ = enrolled_station(world, _commune(where))
        return Call(f"/api/v1/stations/{station_id}{suffix}")

    return make


def _list_asrun(world: World, where: Where) -> Call:
    add_asrun(world, make_station(world, _commune(where)))
    return Call(f"/api/v1/asrun?area_id={world.areas[_commune(where)]}")


def _group(body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        area = _commune(where)
        group = make_group(world, area, [make_station(world, area)])
        return Call(f"/api/v1/station-groups/{group}", body)

    return make


def _list_stations(world: World, where: Where) -> Call:
    make_station(world, _commune(where))  # a row to see (inside) or not to see (outside)
    return Call(f"/api/v1/stations?area_id={world.areas[_commune(where)]}")


def _list_groups(world: World, where: Where) -> Call:
    make_group(world, _commune(where))
    return Call("/api/v1/station-groups")


def _new_group(world: World, where: Where) -> Call:
    area = _commune(where)
    return Call(
        "/api/v1/station-groups",
        {
            "name": "Thôn Đông",
            "area_id": world.areas[area],
            "station_ids": [make_station(world, area)],
        },
    )


def _list_sessions(world: World, where: Where) -> Call:
    make_session(world, _commune(where))
    return Call(f"/api/v1/sessions?area_id={world.areas[_commune(where)]}")


def _session(suffix: str = "", body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/sessions/{make_session(world, _commune(where))}{suffix}", body)

    return make


def _new_session(world: World, where: Where) -> Call:
    area = world.areas[_commune(where)]
    return Call(
        "/api/v1/sessions",
        {
            "name": "Sáng",
            "area_id": area,
            "target_area_ids": [area],
            "start": "05:30",
            "max_length_s": 1800,
            "recurrence": {"repeat": "daily"},
        },
    )


def _list_queue(world: World, where: Where) -> Call:
    session_id = make_session(world, _commune(where))
    make_entry(world, _commune(where), session_id=session_id)
    return Call(f"/api/v1/queue?session_id={session_id}")


def _entry(body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/queue/{make_entry(world, _commune(where))}", body)

    return make


def _new_entry(world: World, where: Where) -> Call:
    area = _commune(where)
    content = make_item(world, area, status=ContentStatus.approved)
    return Call(
        "/api/v1/queue",
        {
            "content_id": content,
            "session_id": make_session(world, area),
            "at": "05:40",
            "relay_length_s": 300,
            "recurrence": {"repeat": "daily"},
        },
    )


def _policy(body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/areas/{world.areas[_commune(where)]}/policy", body)

    return make


def _alert(suffix: str = "") -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        return Call(f"/api/v1/alerts/{make_alert(world, _commune(where)).id}{suffix}")

    return make


def _alert_image(world: World, where: Where) -> Call:
    """An alert with an image its CAP sender attached, the (fake) file in storage."""
    alert = make_alert(world, _commune(where))
    data = b"\x89PNG\r\n\x1a\n" + world.fresh_name("image").encode()
    sha256 = hashlib.sha256(data).hexdigest()
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(data)
    assert world.storage is not None
    world.storage.put(Path(handle.name), sha256)
    image = {"sha256": sha256, "mime_type": "image/png", "size_bytes": len(data)}
    with world.database.session(write=True) as session:
        row = session.get(Alert, alert.id)
        assert row is not None
        row.images = json.dumps([{**image, "description": "Bản đồ"}])
        session.add(row)
        session.commit()
    return Call(f"/api/v1/alerts/{alert.id}/images/{sha256}")


def _new_alert(world: World, where: Where) -> Call:
    area = world.areas[_commune(where)]
    body = {
        "area_id": area,
        "target_area_ids": [area],
        "headline": "Bão số 3",
        "content_id": approved_audio(world, _commune(where), seconds=10),
        "expires": "2099-01-01T00:00:00+00:00",
    }
    return Call("/api/v1/alerts", body)


def _order(suffix: str = "", *, issued: bool = False) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        order = make_order(world, _commune(where), issued=issued)
        return Call(f"/api/v1/broadcasts/{order.id}{suffix}")

    return make


def _new_order(world: World, where: Where) -> Call:
    area = world.areas[_commune(where)]
    body = {
        "area_id": area,
        "target_area_ids": [area],
        "content_id": approved_audio(world, _commune(where), seconds=10),
    }
    return Call("/api/v1/broadcasts", body)


def _list_orders(world: World, where: Where) -> Call:
    make_order(world, _commune(where))
    return Call("/api/v1/broadcasts")


def _list_alerts(world: World, where: Where) -> Call:
    make_alert(world, _commune(where))
    return Call("/api/v1/alerts")


def _alert_report(suffix: str = "") -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        make_station(world, _commune(where))
        alert = make_alert(world, _commune(where), issued=True)
        return Call(f"/api/v1/reports/alerts/{alert.id}{suffix}")

    return make


def _list_alert_reports(world: World, where: Where) -> Call:
    make_alert(world, _commune(where), issued=True)
    return Call("/api/v1/reports/alerts")


def _export_alert_reports(world: World, where: Where) -> Call:
    make_alert(world, _commune(where), issued=True)
    return Call("/api/v1/reports/alerts/export?format=xlsx")


@dataclass(frozen=True)
class _CapCall(Call):
    """A CAP document sent as the raw request body."""

    document: bytes = b""

    def send(self, client: TestClient, method: str, headers: dict[str, str] | None = None) -> Any:
        headers = {"Content-Type": MEDIA_TYPE, **(headers or {})}
        return client.request(method, self.url, content=self.document, headers=headers)


def _cap_alert(world: World, where: Where) -> Call:
    code = give_code(world, _commune(where))
    document = cap_alert(world.fresh_name("VN-CAP-"), codes=(code,))
    return _CapCall("/api/v1/alerts/cap", document=document)


def _cap_feed(suffix: str = "", body: Any = None) -> Callable[[World, Where], Call]:
    def make(world: World, where: Where) -> Call:
        feed = make_feed(world, _commune(where))
        return Call(f"/api/v1/cap-feeds/{feed.id}{suffix}", body)

    return make


def _new_cap_feed(world: World, where: Where) -> Call:
    body = {
        "name": "Trung tâm KTTV",
        "url": "http://feeds.invalid/cap.atom",
        "area_id": world.areas[_commune(where)],
        "senders": ["canhbao@nchmf.gov.vn"],
    }
    return Call("/api/v1/cap-feeds", body)


def _list_cap_feeds(world: World, where: Where) -> Call:
    make_feed(world, _commune(where))
    return Call("/api/v1/cap-feeds")


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/auth/me"): Case(
        ALL_ROLES, 200, lambda w, _: Call("/api/v1/auth/me"), outside="unscoped"
    ),
    ("POST", "/api/v1/auth/logout"): Case(
        ALL_ROLES, 204, lambda w, _: Call("/api/v1/auth/logout"), outside="unscoped"
    ),
    ("GET", "/api/v1/areas"): Case(
        ALL_ROLES,
        200,
        lambda w, where: Call(f"/api/v1/areas?parent_id={w.areas[_commune(where)]}"),
        outside="filtered",
    ),
    ("POST", "/api/v1/areas"): Case(
        ADMIN,
        201,
        lambda w, where: Call(
            "/api/v1/areas",
            {
                "parent_id": w.areas[_commune(where)],
                "name": w.fresh_name("new"),
                "level": "village",
            },
        ),
    ),
    ("GET", "/api/v1/areas/{area_id}"): Case(
        ALL_ROLES, 200, lambda w, where: Call(f"/api/v1/areas/{w.areas[_commune(where)]}")
    ),
    ("PATCH", "/api/v1/areas/{area_id}"): Case(
        ADMIN,
        200,
        lambda w, where: Call(f"/api/v1/areas/{_village(w, where)}", {"name": "renamed"}),
    ),
    ("DELETE", "/api/v1/areas/{area_id}"): Case(
        ADMIN, 204, lambda w, where: Call(f"/api/v1/areas/{_village(w, where)}")
    ),
    ("GET", "/api/v1/users"): Case(
        READERS,
        200,
        lambda w, where: Call(f"/api/v1/users?area_id={w.areas[_commune(where)]}"),
        outside="filtered",
    ),
    ("POST", "/api/v1/users"): Case(
        ADMIN,
        201,
        lambda w, where: Call(
            "/api/v1/users",
            {
                "username": w.fresh_name("n"),
                "password": "long enough",
                "area_id": w.areas[_commune(where)],
            },
        ),
    ),
    ("GET", "/api/v1/users/{user_id}"): Case(
        READERS, 200, lambda w, where: Call(f"/api/v1/users/{_user(w, where)}")
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Case(
        ADMIN, 200, lambda w, where: Call(f"/api/v1/users/{_user(w, where)}", {"full_name": "X"})
    ),
    ("DELETE", "/api/v1/users/{user_id}"): Case(
        ADMIN, 204, lambda w, where: Call(f"/api/v1/users/{_user(w, where)}")
    ),
    ("POST", "/api/v1/users/{user_id}/roles"): Case(
        ADMIN,
        201,
        lambda w, where: Call(
            f"/api/v1/users/{_user(w, where)}/roles",
            {"role": "approver", "area_id": w.areas[_commune(where)]},
        ),
    ),
    ("DELETE", "/api/v1/users/{user_id}/roles/{assignment_id}"): Case(ADMIN, 204, _role_of),
    ("GET", "/api/v1/audit"): Case(
        READERS,
        200,
        lambda w, where: Call(f"/api/v1/audit?object_type=user&object_id={_user(w, where)}"),
        outside="filtered",
    ),
    ("GET", "/api/v1/content"): Case(
        ALL_ROLES,
        200,
        lambda w, where: Call(
            f"/api/v1/content?area_id={w.areas[_commune(where)]}&"
            f"lineage_id={make_item(w, _commune(where))}"
        ),
        outside="filtered",
    ),
    ("GET", "/api/v1/content/voices"): Case(
        ALL_ROLES, 200, lambda w, _: Call("/api/v1/content/voices"), outside="unscoped"
    ),
    ("POST", "/api/v1/content/upload"): Case(OPERATOR, 201, _upload),
    ("POST", "/api/v1/content/uploads"): Case(OPERATOR, 202, _start_upload),
    ("GET", "/api/v1/content/uploads/{job_id}"): Case(ALL_ROLES, 200, _upload_job),
    ("POST", "/api/v1/content/tts"): Case(
        OPERATOR,
        201,
        lambda w, where: Call(
            "/api/v1/content/tts",
            {
                "title": "Tin",
                "language": "vi",
                "text": "Xin chào bà con.",
                "area_id": w.areas[_commune(where)],
            },
        ),
    ),
    ("POST", "/api/v1/content/relay"): Case(
        OPERATOR,
        201,
        lambda w, where: Call(
            "/api/v1/content/relay",
            {
                "title": "VOV1",
                "stream_url": "http://127.0.0.1:9/vov1",
                "area_id": w.areas[_commune(where)],
            },
        ),
    ),
    ("GET", "/api/v1/content/{item_id}"): Case(ALL_ROLES, 200, _content()),
    ("PATCH", "/api/v1/content/{item_id}"): Case(OPERATOR, 200, _content(body={"title": "Mới"})),
    ("PUT", "/api/v1/content/{item_id}/audio"): Case(OPERATOR, 200, _replace_audio),
    ("GET", "/api/v1/content/{item_id}/audio"): Case(ALL_ROLES, 200, _stored_audio),
    ("POST", "/api/v1/content/{item_id}/submit"): Case(OPERATOR, 200, _content(suffix="/submit")),
    ("POST", "/api/v1/content/{item_id}/approve"): Case(
        APPROVER, 200, _content(ContentStatus.submitted, suffix="/approve")
    ),
    ("POST", "/api/v1/content/{item_id}/reject"): Case(
        APPROVER,
        200,
        _content(ContentStatus.submitted, suffix="/reject", body={"reason": "sai chính tả"}),
    ),
    ("GET", "/api/v1/stations"): Case(ALL_ROLES, 200, _list_stations, outside="filtered"),
    ("POST", "/api/v1/stations"): Case(
        ADMIN,
        201,
        lambda w, where: Call(
            "/api/v1/stations", {"name": "Cụm loa chợ", "area_id": w.areas[_commune(where)]}
        ),
    ),
    ("GET", "/api/v1/stations/{station_id}"): Case(ALL_ROLES, 200, _station()),
    ("PATCH", "/api/v1/stations/{station_id}"): Case(ADMIN, 200, _station(body={"name": "Mới"})),
    ("DELETE", "/api/v1/stations/{station_id}"): Case(ADMIN, 204, _station()),
    ("GET", "/api/v1/station-groups"): Case(ALL_ROLES, 200, _list_groups, outside="filtered"),
    ("POST", "/api/v1/station-groups"): Case(GROUPERS, 201, _new_group),
    ("GET", "/api/v1/station-groups/{group_id}"): Case(ALL_ROLES, 200, _group()),
    ("PATCH", "/api/v1/station-groups/{group_id}"): Case(GROUPERS, 200, _group({"name": "B"})),
    ("DELETE", "/api/v1/station-groups/{group_id}"): Case(GROUPERS, 204, _group()),
    ("GET", "/api/v1/sessions"): Case(ALL_ROLES, 200, _list_sessions, outside="filtered"),
    ("POST", "/api/v1/sessions"): Case(SCHEDULERS, 201, _new_session),
    ("GET", "/api/v1/sessions/{session_id}"): Case(ALL_ROLES, 200, _session()),
    ("PATCH", "/api/v1/sessions/{session_id}"): Case(
        SCHEDULERS, 200, _session(body={"volume": 60})
    ),
    ("DELETE", "/api/v1/sessions/{session_id}"): Case(SCHEDULERS, 204, _session()),
    ("GET", "/api/v1/areas/{area_id}/policy"): Case(ALL_ROLES, 200, _policy()),
    ("PUT", "/api/v1/areas/{area_id}/policy"): Case(
        ADMIN, 200, _policy({"quiet_hours": [{"start": "22:00", "end": "05:00"}]})
    ),
    ("GET", "/api/v1/queue"): Case(ALL_ROLES, 200, _list_queue, outside="filtered"),
    ("POST", "/api/v1/queue"): Case(SCHEDULERS, 201, _new_entry),
    ("GET", "/api/v1/queue/{entry_id}"): Case(ALL_ROLES, 200, _entry()),
    ("PATCH", "/api/v1/queue/{entry_id}"): Case(SCHEDULERS, 200, _entry({"order": 3})),
    ("DELETE", "/api/v1/queue/{entry_id}"): Case(SCHEDULERS, 204, _entry()),
    ("POST", "/api/v1/content/{item_id}/archive"): Case(
        ARCHIVERS, 200, _content(suffix="/archive")
    ),
    ("GET", "/api/v1/stations/{station_id}/playlist"): Case(ALL_ROLES, 200, _station("/playlist")),
    ("POST", "/api/v1/stations/{station_id}/enrollment-code"): Case(
        ADMIN, 201, _station("/enrollment-code")
    ),
    ("POST", "/api/v1/stations/{station_id}/revoke"): Case(ADMIN, 204, _enrolled("/revoke")),
    ("GET", "/api/v1/asrun"): Case(ALL_ROLES, 200, _list_asrun, outside="filtered"),
    ("GET", "/api/v1/reports/stations/{station_id}/days/{day}"): Case(
        REPORTERS, 200, _station_report(f"/days/{_TODAY}")
    ),
    ("GET", "/api/v1/reports/areas/{area_id}/rollup"): Case(REPORTERS, 200, _area("/rollup")),
    ("GET", "/api/v1/reports/areas/{area_id}/rollup/export"): Case(
        REPORTERS, 200, _area("/rollup/export?format=xlsx")
    ),
    ("GET", "/api/v1/reports/stations/{station_id}/days/{day}/export"): Case(
        REPORTERS, 200, _station_report(f"/days/{_TODAY}/export")
    ),
    ("GET", "/api/v1/reports/stations/{station_id}/logbook/export"): Case(
        REPORTERS, 200, _station_report("/logbook/export")
    ),
    ("GET", "/api/v1/reports/areas/{area_id}/periodic/export"): Case(
        REPORTERS, 200, _area("/periodic/export?period=year")
    ),
    ("GET", "/api/v1/reports/areas/{area_id}/periodic"): Case(
        REPORTERS, 200, _area("/periodic?period=month")
    ),
    ("POST", "/api/v1/reports/areas/{area_id}/periodic"): Case(
        REPORTERS, 200, _area("/periodic", {"period": "year"})
    ),
    ("GET", "/api/v1/reports/stations/{station_id}/logbook"): Case(
        REPORTERS, 200, _station_report("/logbook")
    ),
    ("GET", "/api/v1/reports/proof-of-play"): Case(
        REPORTERS, 200, _proof_of_play, outside="filtered", rows="stations"
    ),
    ("GET", "/api/v1/reports/proof-of-play/export"): Case(
        REPORTERS, 200, _proof_of_play_export, outside="unscoped"
    ),
    ("GET", "/api/v1/reports/alerts"): Case(
        REPORTERS, 200, _list_alert_reports, outside="filtered"
    ),
    ("GET", "/api/v1/reports/alerts/export"): Case(
        REPORTERS,
        200,
        _export_alert_reports,
        outside="unscoped",
    ),
    ("GET", "/api/v1/reports/alerts/{alert_id}"): Case(REPORTERS, 200, _alert_report()),
    ("GET", "/api/v1/reports/alerts/{alert_id}/export"): Case(
        REPORTERS, 200, _alert_report("/export?format=xlsx")
    ),
    ("GET", "/api/v1/alerts"): Case(ALL_ROLES, 200, _list_alerts, outside="filtered"),
    ("POST", "/api/v1/alerts"): Case(OPERATOR, 201, _new_alert),
    ("POST", "/api/v1/alerts/cap"): Case(OPERATOR, 201, _cap_alert),
    ("GET", "/api/v1/alerts/{alert_id}"): Case(ALL_ROLES, 200, _alert()),
    ("GET", "/api/v1/alerts/{alert_id}/images/{sha256}"): Case(ALL_ROLES, 200, _alert_image),
    ("POST", "/api/v1/alerts/{alert_id}/approve"): Case(APPROVER, 200, _alert("/approve")),
    ("POST", "/api/v1/alerts/{alert_id}/reject"): Case(APPROVER, 200, _alert("/reject")),
    ("GET", "/api/v1/broadcasts"): Case(ALL_ROLES, 200, _list_orders, outside="filtered"),
    ("POST", "/api/v1/broadcasts"): Case(OPERATOR, 201, _new_order),
    ("GET", "/api/v1/broadcasts/{order_id}"): Case(ALL_ROLES, 200, _order()),
    ("POST", "/api/v1/broadcasts/{order_id}/approve"): Case(APPROVER, 200, _order("/approve")),
    ("POST", "/api/v1/broadcasts/{order_id}/reject"): Case(APPROVER, 200, _order("/reject")),
    ("POST", "/api/v1/broadcasts/{order_id}/end"): Case(OPERATOR, 200, _order("/end", issued=True)),
    ("GET", "/api/v1/cap-feeds"): Case(ALL_ROLES, 200, _list_cap_feeds, outside="filtered"),
    ("POST", "/api/v1/cap-feeds"): Case(OPERATOR, 201, _new_cap_feed),
    ("GET", "/api/v1/cap-feeds/{feed_id}"): Case(ALL_ROLES, 200, _cap_feed()),
    ("PATCH", "/api/v1/cap-feeds/{feed_id}"): Case(
        OPERATOR, 200, _cap_feed(body={"name": "Đài KTTV tỉnh"})
    ),
    ("DELETE", "/api/v1/cap-feeds/{feed_id}"): Case(OPERATOR, 204, _cap_feed()),
    ("POST", "/api/v1/cap-feeds/{feed_id}/poll"): Case(OPERATOR, 202, _cap_feed("/poll")),
    ("GET", "/api/v1/areas/{area_id}/playlist"): Case(
        ALL_ROLES,
        200,
        lambda w, where: Call(f"/api/v1/areas/{w.areas[_commune(where)]}/playlist"),
    ),
}


def _api_routes() -> list[APIRoute]:
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def _route_table() -> set[tuple[str, str]]:
    table = {(method, route.path) for route in _api_routes() for method in route.methods}
    # Nothing may be mounted outside ROUTERS, or it would escape this test.
    app = create_app(load_settings(database_url="sqlite:///:memory:", auto_migrate=False))
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    assert documented == table
    return table


def _declared_permission(route: APIRoute) -> Permission | None:
    found = depends_on(route, lambda call: isinstance(call, Permission))
    return found if isinstance(found, Permission) else None


def _is_agent_route(path: str) -> bool:
    return path.startswith(PREFIX + "/")


def test_every_route_has_a_case() -> None:
    # Agent protocol routes take a station token, not a user's: tests/stations/fleet.
    routes = {r for r in _route_table() - PUBLIC_ROUTES if not _is_agent_route(r[1])}
    assert routes - CASES.keys() == set(), "routes without a permission case"
    assert CASES.keys() - routes == set(), "cases for routes that no longer exist"


def _declares(route: APIRoute, call: object) -> bool:
    return depends_on(route, lambda found: found is call) is not None


def test_every_non_public_route_declares_a_permission() -> None:
    for route in _api_routes():
        public = {(m, route.path) for m in route.methods} <= PUBLIC_ROUTES
        if public:
            continue
        if _is_agent_route(route.path):
            assert _declares(route, station_token), f"{route.path} takes no station token"
        else:
            assert _declared_permission(route) is not None, f"{route.path} declares nothing"


ROUTE_IDS = [f"{m} {p}" for m, p in CASES]


@pytest.mark.parametrize("route", list(CASES), ids=ROUTE_IDS)
def test_route_role_scope(client: TestClient, world: World, route: tuple[str, str]) -> None:
    """Every role, on an object inside its scope and one outside, against one app: each
    call makes its own objects. Outside first, so a list asked from outside the scope
    cannot see rows that an inside call made."""
    world.storage = client.app.state.content.storage
    wrong = [
        f"{role.value} {where}: {problem}"
        for where in ("outside", "inside")
        for role in Role
        if (problem := _check(client, world, route, role, where)) is not None
    ]
    assert wrong == [], "\n".join(wrong)


def _check(
    client: TestClient, world: World, route: tuple[str, str], role: Role, where: Where
) -> str | None:
    """What is wrong with the answer to one role's call (None: it is right)."""
    case = CASES[route]
    call = case.make(world, where)
    response = call.send(client, route[0], world.headers(f"{role.value}_a"))
    in_scope = where == "inside" or case.outside == "unscoped"
    status = response.status_code
    if role not in case.allowed or not (in_scope or case.outside == "filtered"):
        if status != 403:
            return f"{status} instead of 403: {response.text[:300]}"
        if role not in case.allowed and not response.json().get("detail"):
            return "403 without a detail saying why"
        return None
    if status != case.ok:
        return f"{status} instead of {case.ok}: {response.text[:300]}"
    if not in_scope and response.json()[case.rows] != []:
        return "a list leaked rows from outside the scope"
    if in_scope and case.outside == "filtered" and not response.json()[case.rows]:
        return "the in-scope list should not be empty"
    return None
