"""The public CAP export: an area's Atom feed lists the Actual alerts that went on the air
in its subtree, each entry linking to the alert as CAP 1.2, which reads back with Loaxa's
own parser into the same alert (the round trip a second Loaxa polling this one makes)."""

from __future__ import annotations

from datetime import timedelta
from xml.etree.ElementTree import fromstring

from fastapi.testclient import TestClient

from alerts.cap import parse_cap
from alerts.cap_import import CapImport, alert_from_cap
from alerts.export.atom import ATOM_NAMESPACE
from alerts.models import Alert, AlertStatus
from tests.alerts.cap_documents import CODES
from tests.alerts.factories import CAP_SENDER, make_alert, make_cancel
from tests.alerts.test_cap_routes import coded
from tests.world import World, now

A = "{" + ATOM_NAMESPACE + "}"

__all__ = ["coded"]  # the fixture, shared with the CAP import tests


def _entries(client: TestClient, area_id: int) -> list[str]:
    """The CAP links of the area's feed, asked without signing in."""
    answer = client.get(f"/api/v1/public/areas/{area_id}/alerts.atom")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    root = fromstring(answer.content)
    return [
        link.get("href", "") for link in root.iter(f"{A}link") if link.get("rel") == "alternate"
    ]


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def test_the_feed_lists_what_went_on_the_air_in_the_subtree_and_nothing_else(
    coded: World, client: TestClient
) -> None:
    on_air = make_alert(coded, "A", issued=True)
    make_alert(coded, "A")  # pending: never published
    elsewhere = make_alert(coded, "B", issued=True)
    cancel = make_cancel(coded, make_alert(coded, "A", issued=True))
    with coded.database.session(write=True) as session:
        test = make_alert(coded, "A", issued=True)
        row = session.get(Alert, test.id)
        assert row is not None
        row.status = AlertStatus.test.value
        session.add(row)
        session.commit()
    links = _entries(client, coded.areas["A"])
    assert [_path(u) for u in links][:2] == [
        f"/api/v1/public/alerts/{cancel.id}.cap",
        f"/api/v1/public/alerts/{cancel.id - 1}.cap",
    ]
    assert f"/api/v1/public/alerts/{on_air.id}.cap" in [_path(u) for u in links]
    assert len(links) == 3
    province = [_path(u) for u in _entries(client, coded.areas["P"])]
    assert f"/api/v1/public/alerts/{elsewhere.id}.cap" in province and len(province) == 4
    assert client.get(f"/api/v1/public/alerts/{test.id}.cap").status_code == 404
    assert client.get("/api/v1/public/areas/999999/alerts.atom").status_code == 404


def test_an_unchanged_feed_answers_304(coded: World, client: TestClient) -> None:
    make_alert(coded, "A", issued=True)
    url = f"/api/v1/public/areas/{coded.areas['A']}/alerts.atom"
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_the_cap_document_reads_back_into_the_same_alert(coded: World, client: TestClient) -> None:
    alert = make_alert(coded, "A", issued=True, sender=CAP_SENDER)
    answer = client.get(f"/api/v1/public/alerts/{alert.id}.cap")
    assert answer.headers["content-type"].startswith("application/cap+xml")
    cap = parse_cap(answer.content)
    assert (cap.identifier, cap.sender, cap.status, cap.msg_type, cap.scope) == (
        alert.identifier,
        CAP_SENDER,  # an imported alert keeps its sender: a neighbour holds it once
        "Actual",
        "Alert",
        "Public",
    )
    [info] = cap.infos
    assert (info.headline, info.urgency, info.severity, info.certainty) == (
        alert.headline,
        alert.urgency,
        alert.severity,
        alert.certainty,
    )
    assert info.expires == alert.expires.replace(microsecond=0)
    assert [area.geocodes for area in info.areas] == [{"MA_XA": [CODES["A"]]}]
    # A second server holding the same areas takes it for the same targets.
    with coded.database.session() as session:
        found = alert_from_cap(cap=cap, session=session, now=now())
    assert isinstance(found, CapImport)
    assert found.alert_in.target_area_ids == [coded.areas["A"]]
    assert found.alert_in.area_id == coded.areas["A"]


def test_an_alert_made_here_is_sent_by_the_server_and_a_cancel_references_it(
    coded: World, client: TestClient
) -> None:
    alert = make_alert(coded, "A", issued=True)
    cancel = make_cancel(coded, alert)
    made_here = parse_cap(client.get(f"/api/v1/public/alerts/{alert.id}.cap").content)
    assert made_here.sender == "loaxa"  # settings: cap_export_sender, not a username
    ended = parse_cap(client.get(f"/api/v1/public/alerts/{cancel.id}.cap").content)
    assert ended.msg_type == "Cancel"
    [reference] = ended.references
    assert (reference.sender, reference.identifier) == ("loaxa", alert.identifier)
    assert made_here.sent - reference.sent < timedelta(seconds=1)
