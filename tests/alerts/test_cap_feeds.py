"""The CAP feed poller against a fake warning service (an httpx mock transport) and the
app's real import: new entries imported once, 304s cost nothing, other senders skipped,
refusals recorded and not retried, the feed's area and its owner's rights enforced, a
failing feed backing off, and one claim per poll."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from alerts.feeds.claims import MAX_BACKOFF_S, claim, next_poll
from alerts.feeds.fetch import Fetcher
from alerts.feeds.importing import FeedImporter
from alerts.feeds.models import CapFeed, CapFeedDocument
from alerts.feeds.poller import FORGET_AFTER, FeedPoller
from alerts.models import Alert
from core.audit.models import AuditEvent
from core.auth.models import Role, RoleAssignment
from tests.alerts.cap_documents import CODES, UNKNOWN_CODE, cap_alert
from tests.alerts.factories import CAP_SENDER
from tests.alerts.feed_factories import make_feed
from tests.alerts.feed_site import ATOM_PATH, FeedSite
from tests.alerts.test_cap_routes import coded
from tests.clock import SettableClock
from tests.world import World

# Their subject is the polling, not the reading: the speech cache is shared.
pytestmark = pytest.mark.speech_cache("shared")

__all__ = ["coded"]  # the fixture, shared with the CAP import tests


@pytest.fixture
def site() -> FeedSite:
    return FeedSite()


@pytest.fixture
def clock() -> SettableClock:
    # Ahead of the real clock the feeds are made with (due at once, on this clock too).
    return SettableClock(datetime.now(UTC) + timedelta(seconds=5))


@pytest.fixture
def poller(client: TestClient, site: FeedSite, clock: SettableClock) -> FeedPoller:
    state = client.app.state  # type: ignore[attr-defined]
    return FeedPoller(
        database=state.database,
        importer=FeedImporter(
            clock=clock, settings=state.settings, services=state.content, board=state.alerts
        ),
        fetcher=Fetcher(
            client=httpx.Client(transport=site.transport()), max_bytes=1_000_000, timeout_s=5
        ),
        spread=lambda: 0.5,  # no jitter: the next poll is exactly one interval on
    )


def _feed(world: World, feed_id: int | None) -> CapFeed:
    with world.database.session() as session:
        feed = session.get(CapFeed, feed_id)
        assert feed is not None
        return feed


def _alerts(world: World) -> list[Alert]:
    with world.database.session() as session:
        return list(session.exec(select(Alert).where(Alert.sender == CAP_SENDER)).all())


def _outcomes(world: World, feed_id: int | None) -> dict[str, str]:
    with world.database.session() as session:
        rows = session.exec(select(CapFeedDocument).where(CapFeedDocument.feed_id == feed_id))
        return {row.url.rsplit("/", 1)[1]: row.outcome for row in rows}


def test_new_entries_are_imported_once_and_an_unchanged_feed_costs_one_request(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock
) -> None:
    site.publish("/a1.xml", cap_alert("VN-FEED-1"))
    feed = make_feed(coded, "A", url=site.feed_url)
    assert poller.tick() == 1
    [alert] = _alerts(coded)
    assert alert.identifier == "VN-FEED-1"
    assert alert.state == "pending"  # no issue_now: an approver issues it
    assert alert.area_id == coded.areas["A"]
    state = _feed(coded, feed.id)
    assert state.etag and state.last_success_at == clock.now() and state.failures == 0
    assert state.last_new_document_at == clock.now() and state.last_error is None
    assert state.next_poll_at == clock.now() + timedelta(seconds=60)
    assert poller.tick() == 0  # not due yet

    clock.advance(timedelta(seconds=61))
    assert poller.tick() == 1
    assert site.requests == {ATOM_PATH: 2, "/a1.xml": 1}  # 304: nothing more
    assert _feed(coded, feed.id).last_new_document_at == state.last_new_document_at
    site.publish("/a2.xml", cap_alert("VN-FEED-2"))
    clock.advance(timedelta(seconds=61))
    poller.tick()
    assert site.requests == {ATOM_PATH: 3, "/a1.xml": 1, "/a2.xml": 1}
    assert sorted(a.identifier for a in _alerts(coded)) == ["VN-FEED-1", "VN-FEED-2"]


def test_a_link_to_another_host_is_never_fetched_unless_the_feed_lists_that_host(
    coded: World, site: FeedSite, poller: FeedPoller
) -> None:
    """A feed must not make the server fetch its internal addresses (SSRF)."""
    site.documents["/other.xml"] = cap_alert("VN-ELSEWHERE")
    site.entries.insert(0, "http://10.0.0.7/other.xml")
    feed = make_feed(coded, "A", url=site.feed_url)
    poller.tick()
    assert site.requests["/other.xml"] == 0 and _alerts(coded) == []
    refused = _feed(coded, feed.id).last_error
    assert refused is not None and "10.0.0.7" in refused and "link_hosts" in refused
    assert _outcomes(coded, feed.id) == {"other.xml": "refused"}
    listing = make_feed(coded, "A", url=site.feed_url, link_hosts=("10.0.0.7",))
    poller.tick()
    assert site.requests["/other.xml"] == 1
    assert [a.identifier for a in _alerts(coded)] == ["VN-ELSEWHERE"]
    assert _outcomes(coded, listing.id) == {"other.xml": "imported"}


def test_other_senders_are_skipped_and_duplicates_are_no_error(
    coded: World, site: FeedSite, poller: FeedPoller
) -> None:
    document = cap_alert("VN-FEED-DUP")
    site.publish("/one.xml", document)
    site.publish("/same-again.xml", document)
    site.publish("/stranger.xml", cap_alert("VN-X").replace(CAP_SENDER.encode(), b"x@evil.test"))
    feed = make_feed(coded, "A", url=site.feed_url)
    poller.tick()
    assert _outcomes(coded, feed.id) == {
        "one.xml": "imported",
        "same-again.xml": "duplicate",
        "stranger.xml": "other_sender",
    }
    assert [a.identifier for a in _alerts(coded)] == ["VN-FEED-DUP"]
    assert _feed(coded, feed.id).last_error is None


def test_a_refused_document_is_the_feeds_last_error_and_is_not_fetched_again(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock
) -> None:
    site.publish("/unknown.xml", cap_alert("VN-FEED-U", codes=(UNKNOWN_CODE,)))
    site.publish("/elsewhere.xml", cap_alert("VN-FEED-B", codes=(CODES["B"],)))
    feed = make_feed(coded, "A", url=site.feed_url)
    poller.tick()
    state = _feed(coded, feed.id)
    assert _outcomes(coded, feed.id) == {"unknown.xml": "refused", "elsewhere.xml": "refused"}
    # The feed of commune A may not reach commune B, whatever its owner could do by hand.
    assert state.last_error is not None and "outside" in state.last_error, state.last_error
    assert state.failures == 0  # the feed itself works
    site.publish("/later.xml", cap_alert("VN-FEED-L"))  # the feed changes: listed again
    clock.advance(timedelta(seconds=61))
    poller.tick()
    assert site.requests["/unknown.xml"] == 1 and site.requests["/elsewhere.xml"] == 1
    assert [a.identifier for a in _alerts(coded)] == ["VN-FEED-L"]


def test_issue_now_issues_with_an_owner_holding_both_rights(
    coded: World, site: FeedSite, poller: FeedPoller
) -> None:
    coded.add_user("duty_feed", area="A", roles={Role.operator: "A", Role.approver: "A"})
    site.publish("/storm.xml", cap_alert("VN-FEED-NOW"))
    feed = make_feed(coded, "A", owner="duty_feed", url=site.feed_url, issue_now=True)
    poller.tick()
    [alert] = _alerts(coded)
    assert alert.state == "issued" and alert.created_by == coded.users["duty_feed"]
    with coded.database.session() as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.actor_name).where(
                AuditEvent.object_type == "alert", AuditEvent.object_id == str(alert.id)
            )
        ).all()
    assert {a for a, _ in actions} == {"alert.create", "alert.issue_single_confirmation"}
    assert {name for _, name in actions} == {f"duty_feed (CAP feed #{feed.id})"}


def test_a_feed_whose_owner_lost_the_rights_stops_without_fetching(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock
) -> None:
    coded.add_user("leaving", area="A", roles={Role.operator: "A"})
    site.publish("/a.xml", cap_alert("VN-FEED-R"))
    feed = make_feed(coded, "A", owner="leaving", url=site.feed_url)
    with coded.database.session(write=True) as session:
        for role in session.exec(
            select(RoleAssignment).where(RoleAssignment.user_id == coded.users["leaving"])
        ):
            session.delete(role)
        session.commit()
    poller.tick()
    state = _feed(coded, feed.id)
    assert site.requests == {}
    assert state.failures == 1 and "no longer holds alert.write" in (state.last_error or "")
    assert _alerts(coded) == []


def test_a_failing_feed_backs_off_and_is_shown_silent(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock, client: TestClient
) -> None:
    site.failing.add(ATOM_PATH)
    feed = make_feed(coded, "A", url=site.feed_url, interval_s=60)
    poller.tick()
    clock.advance(timedelta(seconds=121))
    poller.tick()
    state = _feed(coded, feed.id)
    assert state.failures == 2 and "HTTP 500" in (state.last_error or "")
    assert state.next_poll_at == clock.now() + timedelta(seconds=240)  # 60 s doubled twice
    shown = client.get(f"/api/v1/cap-feeds/{feed.id}", headers=coded.headers("supervisor_a"))
    assert shown.json()["silent"] is True and "HTTP 500" in shown.json()["silent_reason"]
    site.failing.clear()
    clock.advance(timedelta(seconds=241))
    poller.tick()
    assert _feed(coded, feed.id).failures == 0


def test_a_linked_document_that_cannot_be_fetched_is_tried_again_a_few_times(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock
) -> None:
    site.publish("/flaky.xml", cap_alert("VN-FEED-F"))
    site.failing.add("/flaky.xml")
    feed = make_feed(coded, "A", url=site.feed_url)
    for _ in range(4):
        poller.tick()
        clock.advance(timedelta(seconds=61))
    assert site.requests["/flaky.xml"] == 3
    assert _outcomes(coded, feed.id) == {"flaky.xml": "gave_up"}
    assert site.requests[ATOM_PATH] == 4  # no validators kept while it was retried


@pytest.mark.parametrize("validators", [True, False], ids=["etag", "no-etag"])
def test_a_url_that_is_a_cap_document_is_imported_once(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock, validators: bool
) -> None:
    site.validators = validators
    site.documents["/latest.xml"] = cap_alert("VN-FEED-ONE")
    feed = make_feed(coded, "A", url=site.base + "/latest.xml")
    poller.tick()
    first_heard = _feed(coded, feed.id).last_new_document_at
    clock.advance(timedelta(seconds=61))
    poller.tick()
    assert [a.identifier for a in _alerts(coded)] == ["VN-FEED-ONE"]
    state = _feed(coded, feed.id)
    assert state.last_error is None and state.last_success_at == clock.now()
    assert state.last_new_document_at == first_heard  # the same body is nothing new


def test_of_two_processes_seeing_a_feed_due_one_claims_it(coded: World) -> None:
    feed = make_feed(coded, "A")
    until = datetime.now(UTC) + timedelta(minutes=1)
    with coded.database.session(write=True) as session:
        assert claim(
            session=session, feed_id=feed.id or 0, seen=feed.next_poll_at, lease_until=until
        )
    with coded.database.session(write=True) as session:
        assert not claim(
            session=session, feed_id=feed.id or 0, seen=feed.next_poll_at, lease_until=until
        )


def test_the_api_configures_a_feed_and_polls_it_now(coded: World, client: TestClient) -> None:
    headers = coded.headers("operator_a")
    body = {
        "name": "KTTV",
        "url": "https://warnings.invalid/cap.atom",
        "area_id": coded.areas["A"],
        "senders": [CAP_SENDER],
        "interval_s": 120,
    }
    made = client.post("/api/v1/cap-feeds", json=body, headers=headers)
    assert made.status_code == 201, made.text
    feed = made.json()
    assert (feed["owner_id"], feed["senders"], feed["silent"]) == (
        coded.users["operator_a"],
        [CAP_SENDER],
        False,
    )
    bad = client.post("/api/v1/cap-feeds", json={**body, "url": "ftp://x/y"}, headers=headers)
    assert bad.status_code == 422 and "url" in bad.text
    spaced = client.post("/api/v1/cap-feeds", json={**body, "senders": ["a b"]}, headers=headers)
    assert spaced.status_code == 422 and "senders" in spaced.text
    at_once = client.post("/api/v1/cap-feeds", json={**body, "issue_now": True}, headers=headers)
    assert at_once.status_code == 403 and "approver" in at_once.json()["detail"]
    changed = client.patch(
        f"/api/v1/cap-feeds/{feed['id']}", json={"url": body["url"] + "?v=2"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["etag"] is None
    polled = client.post(f"/api/v1/cap-feeds/{feed['id']}/poll", headers=headers)
    assert polled.status_code == 202
    assert datetime.fromisoformat(polled.json()["next_poll_at"]) <= datetime.now(UTC)
    assert json.loads(json.dumps(polled.json()["senders"])) == [CAP_SENDER]
    gone = client.delete(f"/api/v1/cap-feeds/{feed['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.get(f"/api/v1/cap-feeds/{feed['id']}", headers=headers).status_code == 404


def test_two_processes_polling_at_once_fetch_the_feed_once(
    coded: World, site: FeedSite, poller: FeedPoller
) -> None:
    site.publish("/a.xml", cap_alert("VN-FEED-TWICE"))
    make_feed(coded, "A", url=site.feed_url)
    other = replace(poller)  # a second process's poller on the same database
    barrier = threading.Barrier(2)

    def run(each: FeedPoller) -> None:
        barrier.wait()
        each.tick()

    threads = [threading.Thread(target=run, args=(p,)) for p in (poller, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert site.requests == {ATOM_PATH: 1, "/a.xml": 1}
    assert [a.identifier for a in _alerts(coded)] == ["VN-FEED-TWICE"]


@pytest.mark.parametrize("spread", [0.0, 1.0])
def test_polls_are_jittered_by_a_tenth_and_backoff_is_capped(spread: float) -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    wait = next_poll(now=start, interval_s=60, failures=0, spread=lambda: spread) - start
    assert wait == timedelta(seconds=54 if spread == 0.0 else 66)
    capped = next_poll(now=start, interval_s=60, failures=20, spread=lambda: 0.5) - start
    assert capped == timedelta(seconds=MAX_BACKOFF_S)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area_id": 999_999}, "area_id"),
        ({"interval_s": 1}, "interval_s"),
        ({"senders": []}, "senders"),
        ({"url": "not a url"}, "url"),
        ({"link_hosts": ["http://api.weather.gov/"]}, "link_hosts"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_feeds_are_refused_naming_the_field(
    coded: World, client: TestClient, change: dict[str, object], field: str
) -> None:
    body = {
        "name": "KTTV",
        "url": "https://warnings.invalid/cap.atom",
        "area_id": coded.areas["A"],
        "senders": [CAP_SENDER],
        **change,
    }
    answer = client.post("/api/v1/cap-feeds", json=body, headers=coded.headers("operator_a"))
    assert answer.status_code == 422 and field in answer.text, answer.text
    with coded.database.session() as session:
        assert session.exec(select(CapFeed)).first() is None


def test_a_change_may_not_null_a_field(coded: World, client: TestClient) -> None:
    feed = make_feed(coded, "A")
    answer = client.patch(
        f"/api/v1/cap-feeds/{feed.id}", json={"name": None}, headers=coded.headers("operator_a")
    )
    assert answer.status_code == 422 and "name" in answer.text


def test_a_linked_document_over_the_document_limit_is_not_read_whole(
    coded: World, site: FeedSite, poller: FeedPoller
) -> None:
    limit = poller.importer.settings.cap_max_bytes
    site.publish("/huge.xml", b"<alert>" + b" " * (limit + 1) + b"</alert>")
    feed = make_feed(coded, "A", url=site.feed_url)
    poller.tick()
    assert "too large" in (_feed(coded, feed.id).last_error or "")
    assert _outcomes(coded, feed.id) == {"huge.xml": "refused"}  # not fetched again


def test_what_became_of_documents_is_forgotten_after_a_month(
    coded: World, site: FeedSite, poller: FeedPoller, clock: SettableClock
) -> None:
    site.publish("/old.xml", cap_alert("VN-FEED-OLD"))
    feed = make_feed(coded, "A", url=site.feed_url)
    poller.tick()
    site.entries.clear()  # the feed moves on
    clock.advance(FORGET_AFTER + timedelta(minutes=1))
    poller.tick()
    assert _outcomes(coded, feed.id) == {}
