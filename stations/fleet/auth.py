"""Who is calling the agent routes: the station whose token is in the Authorization header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

station_bearer = HTTPBearer(
    auto_error=False, description="The station token from POST /agent/v1/enroll"
)


@dataclass(frozen=True, slots=True)
class StationIdentity:
    station_id: int
    area_id: int


# What a 401 says, on every agent route and the event channel's handshake alike.
NO_TOKEN = "no station token: send Authorization: Bearer <station token>"
BAD_TOKEN = "the station token is unknown or revoked: enrol the agent again with a new code"


def unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def station_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(station_bearer)],
) -> str:
    """The bearer token, taken on the event loop: the routes check it against the database
    in the same thread-pool call as the rest of their work."""
    if credentials is None:
        raise unauthorized(NO_TOKEN)
    return credentials.credentials


StationToken = Annotated[str, Depends(station_token)]
