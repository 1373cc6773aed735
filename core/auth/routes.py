"""Sign in and out: /api/v1/auth."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from core.auth.deps import AccessControl, Permission, bearer_scheme
from core.auth.models import LoginRequest, TokenPublic, UserPublic
from core.auth.signin import SignInLocked, SignInRefused, sign_in
from core.auth.tokens import revoke_token
from core.auth.users import get_user, to_public
from core.deps import ClockDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth (đăng nhập)"])

SignedIn = Annotated[AccessControl, Depends(Permission(None))]
BAD_LOGIN = "wrong username or password"


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
    address = request.client.host if request.client else "unknown"
    try:
        signed = sign_in(
            session=session,
            username=body.username,
            password=body.password,
            address=address,
            now=clock.now(),
            settings=settings,
        )
    except SignInLocked as locked:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed sign-ins: try again in {locked.minutes} minute(s)",
            headers={"Retry-After": str(locked.seconds)},
        ) from None
    except SignInRefused:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=BAD_LOGIN) from None
    session.commit()
    return TokenPublic(access_token=signed.token, expires_at=signed.row.expires_at)


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
