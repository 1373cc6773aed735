"""CAP feeds the server polls (/api/v1/cap-feeds): configured by an operator in their area,
read by everyone who reads its alerts (so a silent feed is seen)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlmodel import Session

from alerts.feeds import crud
from alerts.feeds.models import CapFeed, CapFeedCreate, CapFeedPublic, CapFeedsPublic, CapFeedUpdate
from core.areas.models import Area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.errors import Forbidden
from core.models import PathId
from core.paging import PageDep

router = APIRouter(prefix="/api/v1/cap-feeds", tags=["alerts (khẩn cấp)"])

Read = Annotated[AccessControl, Depends(Permission(Action.alert_read))]
Write = Annotated[AccessControl, Depends(Permission(Action.cap_feed_write))]


@router.get("", response_model=CapFeedsPublic, summary="CAP feeds of areas in your scope")
def list_feeds(session: SessionDep, access: Read, clock: ClockDep, page: PageDep) -> CapFeedsPublic:
    rows, total = crud.list_feeds(session=session, prefixes=access.scope_prefixes(), page=page)
    return CapFeedsPublic(data=[crud.feed_public(f, now=clock.now()) for f in rows], count=total)


@router.post(
    "",
    response_model=CapFeedPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Poll a CAP feed: its alerts are imported with your rights, checked at each poll",
)
def create_feed(
    session: SessionDep, access: Write, clock: ClockDep, feed_in: CapFeedCreate
) -> CapFeedPublic:
    access.require_area(feed_in.area_id, what="a new CAP feed", field="area_id")
    _require_import_rights(access, session, feed_in.area_id, issue_now=feed_in.issue_now)
    feed = crud.create_feed(session=session, feed_in=feed_in, owner=access.actor, now=clock.now())
    session.commit()
    return crud.feed_public(feed, now=clock.now())


@router.get("/{feed_id}", response_model=CapFeedPublic, summary="One CAP feed and its state")
def read_feed(session: SessionDep, access: Read, clock: ClockDep, feed_id: PathId) -> CapFeedPublic:
    return crud.feed_public(_feed(session, access, feed_id), now=clock.now())


@router.patch(
    "/{feed_id}",
    response_model=CapFeedPublic,
    summary="Change a CAP feed; you become its owner, whose rights its imports act with",
)
def update_feed(
    session: SessionDep, access: Write, clock: ClockDep, feed_id: PathId, feed_in: CapFeedUpdate
) -> CapFeedPublic:
    feed = _feed(session, access, feed_id)
    issue_now = feed.issue_now if feed_in.issue_now is None else feed_in.issue_now
    _require_import_rights(access, session, feed.area_id, issue_now=issue_now)
    crud.update_feed(
        session=session, feed=feed, feed_in=feed_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return crud.feed_public(feed, now=clock.now())


@router.delete(
    "/{feed_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop polling a CAP feed (the alerts it imported stay)",
)
def delete_feed(session: SessionDep, access: Write, clock: ClockDep, feed_id: PathId) -> Response:
    feed = _feed(session, access, feed_id)
    crud.delete_feed(session=session, feed=feed, actor=access.actor, now=clock.now())
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{feed_id}/poll",
    response_model=CapFeedPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Poll a CAP feed now: the next turn of the poller (within a second or so) takes it",
)
def poll_feed(
    session: SessionDep, access: Write, clock: ClockDep, feed_id: PathId
) -> CapFeedPublic:
    feed = _feed(session, access, feed_id)
    crud.poll_now(session=session, feed=feed, actor=access.actor, now=clock.now())
    session.commit()
    return crud.feed_public(feed, now=clock.now())


def _feed(session: Session, access: AccessControl, feed_id: int) -> CapFeed:
    feed = crud.get_feed(session=session, feed_id=feed_id)
    access.require_area(feed.area_id, what=f"CAP feed #{feed_id}")
    return feed


def _require_import_rights(
    access: AccessControl, session: Session, area_id: int, *, issue_now: bool
) -> None:
    """The feed imports with its owner's rights: refused now, rather than at every poll,
    when they would not suffice."""
    area = session.get(Area, area_id)
    assert area is not None  # require_area found it
    if not access.principal.can(Action.alert_write, area.path):
        raise Forbidden(
            f"a CAP feed imports with your rights: you hold no alert.write in area #{area_id}"
        )
    if issue_now and not access.principal.can(Action.alert_approve, area.path):
        raise Forbidden(
            "issue_now: the feed's alerts would be issued with your rights, and you hold no "
            f"approver rights in area #{area_id}; without issue_now they wait for an approver"
        )
