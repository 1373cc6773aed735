"""Who is calling the agent routes: the station whose token is in the Authorization header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from stations.fleet.enrolment import token_digest
from stations.fleet.models import StationAgent
from stations.models import Station

station_bearer = HTTPBearer(
    auto_error=False, description="The station token from POST /agent/v1/enroll"
)


@dataclass(frozen=True, slots=True)
class StationIdentity:
    station_id: int
    area_id: int


def unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


def station_for_token(*, session: Session, token: str) -> StationIdentity | None:
    """The station an unrevoked token belongs to (revoking clears the hash), else None."""
    row = session.exec(
        select(StationAgent.station_id, Station.area_id)
        .join(Station, col(Station.id) == StationAgent.station_id)
        .where(StationAgent.token_hash == token_digest(token))
    ).first()
    return StationIdentity(station_id=row[0], area_id=row[1]) if row else None


async def station_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(station_bearer)],
) -> str:
    """The bearer token, taken on the event loop: the routes check it against the database
    in the same thread-pool call as the rest of their work."""
    if credentials is None:
        raise unauthorized("no station token: send Authorization: Bearer <station token>")
    return credentials.credentials


StationToken = Annotated[str, Depends(station_token)]
