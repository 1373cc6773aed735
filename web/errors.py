"""How the pages answer when they cannot go on: to the sign-in page, or a refusal page in
the user's language that says what to do."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from web.context import DEFAULT_ZONE, locale_of
from web.i18n import gettext as _
from web.session import CsrfRefused, SignInRequired
from web.templating import render


async def _to_sign_in(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    locale = locale_of(request)
    message = _(
        "This form is out of date (it was opened before you signed in again). "
        "Go back, reload the page and try once more."
    )
    return render(
        request,
        "refused.html",
        {"message": message, "user": None},
        locale=locale,
        zone=DEFAULT_ZONE,
        status_code=403,
    )


def install_page_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
