"""Revoking a station's agent, whichever page or route asks: the token refused from the
commit on, forgotten by this process's poll directory at once (the others read the change
log), and the agent's push connection closed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.audit.chain import Actor
from stations.fleet import enrolment
from stations.fleet.directory import PollDirectory
from stations.fleet.push import Push
from stations.models import Station


def revoke_agent(
    *,
    session: Session,
    station: Station,
    actor: Actor,
    now: datetime,
    directory: PollDirectory,
    push: Push,
) -> None:
    assert station.id is not None
    enrolment.revoke(session=session, station=station, actor=actor, now=now)
    session.commit()
    directory.forget_stations([station.id])
    push.revoke(station.id)
