"""CAP import through the API, on SQLite and PostgreSQL: a CAP alert becomes an alert as
`POST /api/v1/alerts` makes one (its text read by espeak-ng), Updates and Cancels act on
earlier ones, and anything unsafe, oversized or unmappable is refused naming what was wrong,
with nothing stored: no alert, no audit event, no audio file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from alerts.cap import CAP_NAMESPACE, MAX_BYTES
from alerts.models import Alert
from core.audit.models import AuditEvent
from core.auth.models import Role
from playlists.content.storage import ContentStorage
from tests.alerts.cap_documents import CODES, MEDIA_TYPE, UNKNOWN_CODE, cap_alert, give_code
from tests.alerts.factories import CAP_SENDER
from tests.stations.factories import make_station
from tests.world import World

# Their subject is the route (the reading itself is marked own): the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")

URL = "/api/v1/alerts/cap"

XXE = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="{CAP_NAMESPACE}"><identifier>&secret;</identifier></alert>""".encode()

EXTERNAL_DTD = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert SYSTEM "file:///etc/passwd">
<alert xmlns="{CAP_NAMESPACE}"><identifier>x</identifier></alert>""".encode()

LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' if n else '<!ENTITY lol0 "lol">' for n in range(10)
)
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE alert [{LAUGHS}]>
<alert xmlns="{CAP_NAMESPACE}"><identifier>&lol9;</identifier></alert>""".encode()


@pytest.fixture
def coded(world: World) -> World:
    for area in CODES:
        give_code(world, area)
    return world


@pytest.fixture
def storage(client: TestClient) -> ContentStorage:
    stored: ContentStorage = client.app.state.content.storage  # type: ignore[attr-defined]
    return stored


def post(
    client: TestClient,
    world: World,
    document: bytes,
    user: str = "operator_a",
    *,
    media_type: str = MEDIA_TYPE,
    **params: Any,
) -> Any:
    return client.post(
        URL,
        content=document,
        params=params,
        headers={"Content-Type": media_type, **world.headers(user)},
    )


def imported(client: TestClient, world: World, document: bytes, **options: Any) -> Any:
    answer = post(client, world, document, **options)
    assert answer.status_code == 201, answer.text
    return answer.json()


def assert_nothing_stored(world: World, storage: ContentStorage) -> None:
    with world.database.session() as session:
        assert session.exec(select(func.count()).select_from(Alert)).one() == 0
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "alert"))
        assert list(actions) == []
    assert storage.all() == set(), "a refused alert left audio in storage"


@pytest.mark.speech_cache("own")  # read by espeak-ng and ffmpeg here, whatever ran before
def test_a_cap_alert_is_drafted_with_its_text_read_aloud(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    alert = imported(client, coded, cap_alert())
    assert alert["identifier"] == "VN-TEST-001" and alert["state"] == "pending"
    assert alert["headline"] == "Bão số 3 đổ bộ vào Quảng Ninh"
    assert (alert["status"], alert["msg_type"], alert["severity"]) == ("Actual", "Alert", "Extreme")
    assert alert["target_area_ids"] == [coded.areas["A"]] and alert["area_id"] == coded.areas["A"]
    assert alert["created_by"] == coded.users["operator_a"]
    # Three sentences of Vietnamese by espeak-ng: a few seconds of stored Opus.
    assert alert["duration_s"] > 2 and storage.all() == {alert["sha256"]}
    # The alert is like any other from here: an approver issues it.
    approved = client.post(
        f"/api/v1/alerts/{alert['id']}/approve", headers=coded.headers("approver_a")
    )
    assert approved.status_code == 200 and approved.json()["state"] == "issued", approved.text


@pytest.mark.parametrize("media_type", ["application/xml", "text/xml; charset=utf-8"])
def test_plain_xml_media_types_are_taken_too(
    client: TestClient, coded: World, media_type: str
) -> None:
    imported(client, coded, cap_alert(), media_type=media_type)


def test_issue_now_puts_it_on_the_air_at_once(client: TestClient, coded: World) -> None:
    coded.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    station = make_station(coded, "A1")
    alert = imported(client, coded, cap_alert(), user="duty_a", issue_now="true")
    assert alert["state"] == "issued" and alert["approved_by"] == coded.users["duty_a"]
    shown = client.get(f"/api/v1/alerts/{alert['id']}", headers=coded.headers("supervisor_a"))
    assert alert["stations"] == 1
    assert [d["station_id"] for d in shown.json()["deliveries"]] == [station]


def test_an_update_replaces_and_a_cancel_stops(client: TestClient, coded: World) -> None:
    coded.add_user("duty_a", area="A", roles={Role.operator: "A", Role.approver: "A"})
    imported(client, coded, cap_alert("VN-1"), user="duty_a", issue_now="true")
    update = imported(
        client,
        coded,
        cap_alert("VN-2", msg_type="Update", references=("VN-1",)),
        user="duty_a",
        issue_now="true",
    )
    assert update["references"] == [f"{CAP_SENDER},VN-1"] and update["state"] == "issued"
    cancel = imported(
        client,
        coded,
        cap_alert("VN-3", msg_type="Cancel", references=("VN-2",), info=False, note="Hết bão"),
        user="duty_a",
        issue_now="true",
    )
    assert cancel["msg_type"] == "Cancel" and cancel["sha256"] is None
    assert cancel["target_area_ids"] == [coded.areas["A"]]  # those of the alert it stops
    states = {
        a["identifier"]: a["state"]
        for a in client.get("/api/v1/alerts", headers=coded.headers("duty_a")).json()["data"]
    }
    assert states == {"VN-1": "superseded", "VN-2": "cancelled", "VN-3": "issued"}


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (XXE, "DOCTYPE"),
        (EXTERNAL_DTD, "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (b"<alert", "not well-formed"),
        ("<alert>x</alert>".encode("utf-16"), "not UTF-8"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "CAP 1.1"),
    ],
    ids=["xxe", "external-dtd", "billion-laughs", "malformed", "utf-16", "cap-1.1"],
)
def test_unsafe_or_broken_xml_is_refused_and_nothing_stored(
    client: TestClient, coded: World, storage: ContentStorage, document: bytes, named: str
) -> None:
    answer = post(client, coded, document)
    assert answer.status_code == 422 and named in answer.json()["detail"], answer.text
    assert "root:" not in answer.text  # /etc/passwd never read
    assert_nothing_stored(coded, storage)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (cap_alert(codes=(UNKNOWN_CODE,)), UNKNOWN_CODE),
        (cap_alert(status="Draft"), "alert/status"),
        (cap_alert(msg_type="Ack"), "alert/msgType"),
        (cap_alert("V" * 201), "alert/identifier"),
    ],
    ids=["unknown-geocode", "draft", "ack", "long-identifier"],
)
def test_a_cap_alert_that_cannot_be_broadcast_is_refused_naming_why(
    client: TestClient, coded: World, storage: ContentStorage, document: bytes, named: str
) -> None:
    answer = post(client, coded, document)
    assert answer.status_code == 422 and named in answer.json()["detail"], answer.text
    assert_nothing_stored(coded, storage)


def _chunks(document: bytes) -> Iterator[bytes]:
    for start in range(0, len(document), 64 * 1024):
        yield document[start : start + 64 * 1024]


def test_an_oversized_document_is_refused_whether_its_length_is_declared_or_not(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    padded = cap_alert().replace(b"</alert>", b" " * MAX_BYTES + b"</alert>")
    declared = post(client, coded, padded)
    assert declared.status_code == 413 and str(MAX_BYTES) in declared.text, declared.text
    streamed = client.post(
        URL,
        content=_chunks(padded),  # chunked: no Content-Length to go by
        headers={"Content-Type": MEDIA_TYPE, **coded.headers("operator_a")},
    )
    assert streamed.status_code == 413, streamed.text
    assert_nothing_stored(coded, storage)


def test_json_is_not_a_cap_document(client: TestClient, coded: World) -> None:
    answer = post(client, coded, b"{}", media_type="application/json")
    assert answer.status_code == 415 and "application/cap+xml" in answer.text


def test_the_same_document_twice_is_a_conflict_leaving_one_file(
    client: TestClient, coded: World, storage: ContentStorage
) -> None:
    imported(client, coded, cap_alert())
    again = post(client, coded, cap_alert(headline="Bão số 3: tin cập nhật"))
    assert again.status_code == 409 and "VN-TEST-001" in again.text
    assert len(storage.all()) == 1  # the second text was never read aloud


def test_targets_outside_the_callers_scope_are_refused(client: TestClient, coded: World) -> None:
    answer = post(client, coded, cap_alert(codes=(CODES["B"],)))
    assert answer.status_code == 403, answer.text


def test_targets_in_two_communes_are_managed_by_their_province(
    client: TestClient, coded: World
) -> None:
    coded.add_user("operator_p", area="P", roles={Role.operator: "P"})
    alert = imported(client, coded, cap_alert(codes=(CODES["A"], CODES["B"])), user="operator_p")
    assert alert["area_id"] == coded.areas["P"]
    assert alert["target_area_ids"] == sorted([coded.areas["A"], coded.areas["B"]])
    # A commune's operator cannot reach the other commune, and is told about area_id.
    refused = post(client, coded, cap_alert("VN-X", codes=(CODES["A"], CODES["B"])))
    assert refused.status_code == 403 and "area_id" in refused.text


def test_the_caller_may_name_the_managing_area(client: TestClient, coded: World) -> None:
    alert = imported(client, coded, cap_alert(codes=(CODES["A1"],)), area_id=coded.areas["A"])
    assert alert["area_id"] == coded.areas["A"]
    assert alert["target_area_ids"] == [coded.areas["A1"]]


def test_an_alert_whose_commit_fails_leaves_no_audio_behind(
    client: TestClient, coded: World, storage: ContentStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its text is read aloud and stored before the commit (agents fetch it at once): a
    commit that fails takes the file away again (it stayed, before issue 14)."""
    from alerts import issuing
    from core.areas.models import Area
    from tests.world import now

    real_create = issuing.crud.create_alert

    def create_then_clash(**kwargs: Any) -> Alert:
        alert = real_create(**kwargs)
        session = kwargs["session"]
        taken = session.exec(select(Area.code).where(col(Area.code).is_not(None))).first()
        # A second area with a code already taken: the commit fails on it.
        session.add(Area(name="x", level="commune", code=taken, timezone="UTC", created_at=now()))
        return alert

    monkeypatch.setattr(issuing.crud, "create_alert", create_then_clash)
    answer = post(client, coded, cap_alert())
    assert answer.status_code == 409, answer.text
    assert_nothing_stored(coded, storage)
