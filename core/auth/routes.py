"""Sign in and out: /api/v1/auth."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from core.auth import throttle
from core.auth.deps import AccessControl, Permission, bearer_scheme
from core.auth.models import LoginRequest, TokenPublic, UserPublic
from core.auth.passwords import verify_password
from core.auth.tokens import issue_token, revoke_token
from core.auth.users import get_user, get_user_by_name, to_public
from core.config import Settings
from core.deps import ClockDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth (đăng nhập)"])

SignedIn = Annotated[AccessControl, Depends(Permission(None))]
BAD_LOGIN = "wrong username or password"


def _policy(settings: Settings) -> throttle.ThrottlePolicy:
    return throttle.ThrottlePolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


@router.post(
    "/login",
    response_model=TokenPublic,
    summary="Sign in; returns a bearer token",
    responses={401: {"description": BAD_LOGIN}, 429: {"description": "too many failures"}},
)
def login(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: LoginRequest,
) -> TokenPublic:
    now = clock.now()
    address = request.client.host if request.client else "unknown"
    until = throttle.locked_until(session=session, username=body.username, address=address, now=now)
    if until is not None:
        wait = math.ceil((until - now).total_seconds())
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed sign-ins: try again in {math.ceil(wait / 60)} minute(s)",
            headers={"Retry-After": str(wait)},
        )
    user = get_user_by_name(session=session, username=body.username)
    valid = verify_password(body.password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        throttle.record_failure(
            session=session,
            username=body.username,
            address=address,
            now=now,
            policy=_policy(settings),
        )
        session.commit()
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=BAD_LOGIN)
    throttle.record_success(session=session, username=body.username, address=address)
    token, row = issue_token(
        session=session, user=user, now=now, ttl=timedelta(minutes=settings.token_ttl_minutes)
    )
    session.commit()
    return TokenPublic(access_token=token, expires_at=row.expires_at)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke this token")
def logout(
    session: SessionDep,
    clock: ClockDep,
    _access: SignedIn,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> None:
    if credentials is not None:
        revoke_token(session=session, token=credentials.credentials, now=clock.now())
        session.commit()


@router.get("/me", response_model=UserPublic, summary="Who am I, with my roles")
def me(session: SessionDep, access: SignedIn) -> UserPublic:
    return to_public(session, get_user(session=session, user_id=access.principal.user_id))
