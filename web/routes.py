"""The pages: sign-in and out, the language, the home page. Thin: each calls data functions
and the one permission mechanism, then renders a template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from core.auth.signin import SignInLocked, SignInRefused, sign_in
from core.auth.tokens import revoke_token
from core.deps import ClockDep, SessionDep, SettingsDep
from web import i18n
from web.context import PageDep, locale_of
from web.home import home_for
from web.i18n import gettext as _
from web.session import (
    CSRF_FIELD,
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CsrfUserDep,
    MaybeUserDep,
    new_login_secret,
    safe_next,
    same,
    set_cookie,
)
from web.templating import render

router = APIRouter(include_in_schema=False)
YEAR_S = 365 * 24 * 3600


def _sign_in_page(
    request: Request,
    *,
    zone: str,
    username: str = "",
    next_url: str = "/",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    secret = request.cookies.get(LOGIN_COOKIE) or new_login_secret()
    response = render(
        request,
        "sign_in.html",
        {"username": username, "next": next_url, "error": error, "login_csrf": secret},
        locale=locale_of(request),
        zone=zone,
        status_code=status_code,
    )
    set_cookie(response, request, LOGIN_COOKIE, secret, max_age=3600)
    return response


@router.get("/login")
def sign_in_form(
    request: Request, user: MaybeUserDep, settings: SettingsDep, next: str = "/"
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, zone=settings.default_timezone, next_url=safe_next(next))


@router.post("/login")
def sign_in_submit(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    page = {"zone": settings.default_timezone, "username": username, "next_url": safe_next(next)}
    if not same(request.cookies.get(LOGIN_COOKIE), csrf_token):
        error = _("The sign-in form had expired. Please sign in again.")
        return _sign_in_page(request, **page, error=error, status_code=403)
    if not username or not password:
        error = _("Enter your username and your password.")
        return _sign_in_page(request, **page, error=error, status_code=422)
    address = request.client.host if request.client else "unknown"
    try:
        signed = sign_in(
            session=session,
            username=username,
            password=password,
            address=address,
            now=clock.now(),
            settings=settings,
        )
    except SignInLocked as locked:
        error = _(
            "Too many failed sign-ins. Try again in %(minutes)d minute(s), "
            "or ask your administrator to check your account."
        ) % {"minutes": locked.minutes}
        return _sign_in_page(request, **page, error=error, status_code=429)
    except SignInRefused:
        error = _("Wrong username or password. Check them and try again.")
        return _sign_in_page(request, **page, error=error, status_code=401)
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, signed.token, settings.token_ttl_minutes * 60)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def sign_out(request: Request, session: SessionDep, clock: ClockDep, user: CsrfUserDep) -> Response:
    revoke_token(session=session, token=user.token, now=clock.now())
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=8)],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Needs no CSRF token: it changes nothing but this browser's own cookie."""
    response = RedirectResponse(safe_next(back), status_code=303)
    if language in i18n.LOCALES:
        set_cookie(response, request, LANGUAGE_COOKIE, language, max_age=YEAR_S)
    return response


@router.get("/")
def home(session: SessionDep, settings: SettingsDep, view: PageDep) -> Response:
    data = home_for(
        session=session,
        principal=view.user.principal,
        settings=settings,
        zone=view.zone,
        now=view.now,
    )
    return view.render("home.html", {"home": data})
