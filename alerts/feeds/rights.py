"""Whose rights a feed's automatic imports act with: those of the user who configured it
(its owner), read afresh at every poll and narrowed to the feed's managing area, so a user
disabled or stripped of operator rights there stops the feed, and no alert of the feed can
reach outside its area (the one permission check, alerts/issuing.py, refuses it).

The audit shows each import as the owner's act, named "<username> (CAP feed #<id>)"."""

from __future__ import annotations

from sqlmodel import Session

from alerts.feeds.models import CapFeed
from core.areas.models import Area
from core.auth.deps import AccessControl, load_grants
from core.auth.models import User
from core.auth.permissions import Action, Grant, Principal


class FeedRightsLost(Exception):
    """The feed's owner may no longer import alerts in its area; the message says why."""


def feed_access(*, session: Session, feed: CapFeed) -> AccessControl:
    owner = session.get(User, feed.owner_id)
    area = session.get(Area, feed.area_id)
    assert area is not None  # the foreign key holds it
    if owner is None or owner.id is None or not owner.is_active:
        raise FeedRightsLost(f"its owner, user #{feed.owner_id}, is disabled or gone")
    grants = _narrowed(load_grants(session, owner.id), area)
    principal = Principal(
        user_id=owner.id, username=f"{owner.username} (CAP feed #{feed.id})", grants=grants
    )
    if not principal.can(Action.alert_write, area.path):
        raise FeedRightsLost(
            f"its owner {owner.username!r} no longer holds alert.write (operator) in the "
            f"feed's area #{area.id}"
        )
    return AccessControl(principal=principal, action=Action.alert_write, session=session)


def _narrowed(grants: tuple[Grant, ...], area: Area) -> tuple[Grant, ...]:
    """Each role as it applies inside the feed's area: one held above it counts from the
    feed's area down; one held below it stays as it is; one elsewhere is left out."""
    assert area.id is not None
    kept = []
    for grant in grants:
        if area.path.startswith(grant.area_path):
            kept.append(Grant(role=grant.role, area_id=area.id, area_path=area.path))
        elif grant.area_path.startswith(area.path):
            kept.append(grant)
    return tuple(kept)
