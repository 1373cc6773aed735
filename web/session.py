"""Who is signed in to the pages: a cookie holding the same token the API hands out
(HttpOnly, SameSite=Lax, Secure behind HTTPS), and the CSRF token every form and htmx
request must carry."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from core.auth.deps import principal_for_token
from core.auth.permissions import Principal
from core.deps import ClockDep, SessionDep

SESSION_COOKIE = "loaxa_session"
LOGIN_COOKIE = "loaxa_login"  # the sign-in form's own CSRF token, before there is a session
LANGUAGE_COOKIE = "loaxa_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """The page needs a signed-in user: the app answers with a redirect to the sign-in."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    """A form or htmx request without the page's CSRF token (403)."""


@dataclass(frozen=True)
class WebUser:
    principal: Principal
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(secret: str) -> str:
    """Derived from the session's token, which only this browser holds (HttpOnly): a page
    of another site can neither read it nor compute this."""
    return hashlib.sha256(f"loaxa-csrf:{secret}".encode()).hexdigest()[:32]


def new_login_secret() -> str:
    return secrets.token_urlsafe(16)


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given, expected)


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def current_user(request: Request, session: SessionDep, clock: ClockDep) -> WebUser | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    principal = principal_for_token(session=session, token=token, now=clock.now())
    return None if principal is None else WebUser(principal, token)


MaybeUserDep = Annotated[WebUser | None, Depends(current_user)]


async def require_user(request: Request, user: MaybeUserDep) -> WebUser:
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(quote(target, safe="/?=&"))
    return user


UserDep = Annotated[WebUser, Depends(require_user)]


async def require_csrf(request: Request, user: UserDep) -> WebUser:
    """For every state-changing page request: the token in the form field or the header."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same(given, user.csrf):
        raise CsrfRefused()
    return user


CsrfUserDep = Annotated[WebUser, Depends(require_csrf)]


def safe_next(url: str | None) -> str:
    """Only a path on this site (no //host, no scheme): the sign-in never sends elsewhere."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"
