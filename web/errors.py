"""How the pages answer when they cannot go on: to the sign-in page, or a refusal page in
the user's language that says what to do. The API's paths keep their JSON errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response

from audio.errors import AudioRejected
from core.errors import Conflict, Forbidden, Invalid, NotFound, on_validation_error, plain_handler
from web import i18n
from web.context import DEFAULT_ZONE, locale_of
from web.i18n import gettext as _
from web.problems import translate_refusal, validation_message
from web.session import CsrfRefused, SignInRequired
from web.templating import render


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = f"/login?next={exc.next_url}"
    if request.headers.get("hx-request") == "true":
        # An htmx request (a timeline polling after the sign-in ran out) would swap the
        # sign-in page into a part of the page: htmx loads it whole instead.
        page = request.headers.get("hx-current-url", "")
        target = "/login?next=" + quote(urlsplit(page).path or "/", safe="/") if page else target
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _refused(request: Request, message: str, status_code: int) -> Response:
    return render(
        request,
        "refused.html",
        {"message": message, "user": None},
        locale=locale_of(request),
        zone=DEFAULT_ZONE,
        status_code=status_code,
    )


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    i18n.use(locale_of(request))
    message = _(
        "This form is out of date (it was opened before you signed in again). "
        "Go back, reload the page and try once more."
    )
    return _refused(request, message, 403)


def _page_or_json(
    status_code: int, page_paths: frozenset[str]
) -> Callable[[Request, Exception], Awaitable[Response]]:
    json_handler = plain_handler(status_code)

    async def handler(request: Request, exc: Exception) -> Response:
        # The route that raised (Starlette keeps it in the scope): a page's, or the API's.
        route = request.scope.get("route")
        if getattr(route, "path", None) not in page_paths:
            return await json_handler(request, exc)
        i18n.use(locale_of(request))
        if isinstance(exc, NotFound):
            message = _("This does not exist (any more), or the address is wrong.")
        else:
            message = translate_refusal(str(exc))
        return _refused(request, message, status_code)

    return handler


def _page_or_validation_json(
    page_paths: frozenset[str],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A query or form value FastAPI refused before the page's route ran (too long, not a
    number, missing): a page naming the value, not the API's JSON."""

    async def handler(request: Request, exc: Exception) -> Response:
        route = request.scope.get("route")
        if getattr(route, "path", None) not in page_paths:
            return await on_validation_error(request, exc)
        assert isinstance(exc, RequestValidationError)
        i18n.use(locale_of(request))
        error = exc.errors()[0] if exc.errors() else {}
        name = str(error.get("loc", ("", ""))[-1])
        message = _("The value of “%(field)s” cannot be used: %(problem)s") % {
            "field": name,
            "problem": validation_message(error, name),
        }
        return _refused(request, message, status.HTTP_422_UNPROCESSABLE_CONTENT)

    return handler


def install_page_handlers(app: FastAPI, pages: Iterable[APIRouter]) -> None:
    """After the API's handlers: a refusal raised by one of the `pages` becomes a page."""
    page_paths = frozenset(
        getattr(route, "path", "") for router in pages for route in router.routes
    )
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(RequestValidationError, _page_or_validation_json(page_paths))
    for exc_type, code in (
        (Forbidden, status.HTTP_403_FORBIDDEN),
        (NotFound, status.HTTP_404_NOT_FOUND),
        (Conflict, status.HTTP_409_CONFLICT),
        (Invalid, status.HTTP_422_UNPROCESSABLE_CONTENT),
        (AudioRejected, status.HTTP_422_UNPROCESSABLE_CONTENT),
    ):
        app.add_exception_handler(exc_type, _page_or_json(code, page_paths))
