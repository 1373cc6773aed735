"""Enrolment codes and station tokens. The server keeps only hashes of both: a code is shown
once to the admin, a token once to the agent."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col

from core.audit.chain import Actor, Affects, Subject, record
from core.errors import Conflict
from stations.fleet.models import StationAgent, StationEnrollment
from stations.models import Station
from stations.protocol import AgentLocation, EnrollRequest

# No 0/O, 1/I/L: the code is read aloud over the phone and typed on a Pi.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


class EnrollmentRefused(Exception):
    """The code is unknown, used or expired; the message says what to do."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def token_digest(token: str) -> str:
    return _digest(token)


def create_code(
    *, session: Session, station: Station, actor: Actor, now: datetime, ttl: timedelta
) -> tuple[str, StationEnrollment]:
    """A fresh one-time code for the station; any earlier unused code stops working."""
    assert station.id is not None
    _drop_unused_codes(session, station.id)
    code = _new_code()
    row = StationEnrollment(
        station_id=station.id,
        code_hash=_digest(normalise_code(code)),
        created_by=actor.id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="station.enrollment_code",
        subject=_subject(station),
        now=now,
        after={"expires_at": row.expires_at},
        affects=_affects(station),
    )
    return code, row


@dataclass(frozen=True, slots=True)
class Enrolled:
    station_id: int
    token: str
    area_id: int


def redeem_code(*, session: Session, request: EnrollRequest, now: datetime) -> Enrolled:
    """Trade a valid code for a station token; the station's earlier token stops working."""
    # One statement claims the code, so two agents racing with it cannot both get in.
    station_id = session.execute(
        update(StationEnrollment)
        .where(
            col(StationEnrollment.code_hash) == _digest(normalise_code(request.code)),
            col(StationEnrollment.used_at).is_(None),
            col(StationEnrollment.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(StationEnrollment.station_id))
    ).scalar_one_or_none()
    if station_id is None:
        raise EnrollmentRefused(
            "this enrolment code is unknown, already used or expired: "
            "ask an admin for a new one (POST /api/v1/stations/{id}/enrollment-code)"
        )
    token = secrets.token_urlsafe(32)
    agent = session.get(StationAgent, station_id) or StationAgent(
        station_id=station_id, hardware_id="", agent_version="", enrolled_at=now
    )
    agent.token_hash = _digest(token)
    agent.hardware_id = request.hardware_id
    agent.agent_version = request.agent_version
    agent.enrolled_at = now
    agent.revoked_at = None
    agent.last_seen_at = None
    session.add(agent)
    station = session.get(Station, station_id)
    assert station is not None  # codes go with their station (ON DELETE CASCADE)
    after: dict[str, object] = {"hardware_id": request.hardware_id}
    if _take_location(station, request.location):
        session.add(station)
        after["location"] = {"latitude": station.latitude, "longitude": station.longitude}
    actor = Actor(id=None, name=f"agent {request.hardware_id}")
    record(
        session=session,
        actor=actor,
        action="station.enroll",
        subject=_subject(station),
        now=now,
        after=after,
        affects=_affects(station),
    )
    return Enrolled(station_id=station_id, token=token, area_id=station.area_id)


def _take_location(station: Station, location: AgentLocation | None) -> bool:
    """Whether the station takes the location its installer gave: only when an admin has
    set none, since the admin's is the one checked against the map."""
    if location is None or station.latitude is not None or station.longitude is not None:
        return False
    station.latitude, station.longitude = location.latitude, location.longitude
    return True


def revoke(*, session: Session, station: Station, actor: Actor, now: datetime) -> None:
    """The station's token gets 401 from now on, and its unused codes stop working."""
    assert station.id is not None
    agent = session.get(StationAgent, station.id)
    if agent is None or agent.token_hash is None:
        raise Conflict(f"station #{station.id} has no enrolled agent to revoke")
    agent.token_hash = None
    agent.revoked_at = now
    session.add(agent)
    _drop_unused_codes(session, station.id)
    record(
        session=session,
        actor=actor,
        action="station.revoke",
        subject=_subject(station),
        now=now,
        after={"hardware_id": agent.hardware_id},
        affects=_affects(station),
    )


def _drop_unused_codes(session: Session, station_id: int) -> None:
    session.execute(
        delete(StationEnrollment).where(
            col(StationEnrollment.station_id) == station_id,
            col(StationEnrollment.used_at).is_(None),
        )
    )


def _subject(station: Station) -> Subject:
    return Subject("station", station.id, station.area_id)


def _affects(station: Station) -> Affects:
    return Affects.of(stations=[station.id])
