"""CAP feeds for tests, through the real data functions."""

from __future__ import annotations

from alerts.feeds import crud
from alerts.feeds.models import CapFeed, CapFeedCreate
from core.audit.chain import Actor
from tests.alerts.factories import CAP_SENDER
from tests.world import World, now


def make_feed(
    world: World,
    area: str,
    *,
    owner: str = "operator_a",
    url: str = "http://feeds.invalid/cap.atom",
    issue_now: bool = False,
    interval_s: int = 60,
    senders: tuple[str, ...] = (CAP_SENDER,),
    link_hosts: tuple[str, ...] = (),
) -> CapFeed:
    feed_in = CapFeedCreate(
        name=world.fresh_name("feed-"),
        url=url,
        area_id=world.areas[area],
        senders=list(senders),
        link_hosts=list(link_hosts),
        issue_now=issue_now,
        interval_s=interval_s,
    )
    actor = Actor(id=world.users[owner], name=owner)
    with world.database.session(write=True) as session:
        feed = crud.create_feed(session=session, feed_in=feed_in, owner=actor, now=now())
        session.commit()
        return feed
