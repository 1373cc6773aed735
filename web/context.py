"""What every signed-in page needs to answer: who asks, in which language and zone, and
when. Routes take a `PageDep` (or `CsrfPageDep` for a change) and call `view.render`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from core.areas.crud import get_area
from core.auth.deps import AccessControl, access_for
from core.auth.permissions import Action
from core.auth.users import get_user
from core.deps import ClockDep, SessionDep
from web import i18n
from web.session import LANGUAGE_COOKIE, CsrfUserDep, UserDep, WebUser
from web.templating import render

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def locale_of(request: Request) -> str:
    return i18n.choose_locale(
        chosen=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


@dataclass(frozen=True)
class PageView:
    request: Request
    user: WebUser
    locale: str
    zone: str  # the user's home area's zone: every time on the page is shown in it
    now: datetime

    def access(self, session: Session, action: Action) -> AccessControl:
        """The caller's access for `action`, as the API's Permission gives it (Forbidden,
        a page, without the role anywhere)."""
        return access_for(principal=self.user.principal, action=action, session=session)

    def holds(self, action: Action) -> bool:
        """Whether the caller holds `action` anywhere (to offer a button or a form)."""
        return bool(self.user.principal.roles_for(action))

    @property
    def is_fragment(self) -> bool:
        """An htmx request for part of a page (not a boosted whole page)."""
        headers = self.request.headers
        return headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"

    def render(
        self,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return render(
            self.request,
            template,
            {"user": self.user, "now": self.now, **(context or {})},
            locale=self.locale,
            zone=self.zone,
            status_code=status_code,
            headers=headers,
        )


def _view(request: Request, session: SessionDep, clock: ClockDep, user: WebUser) -> PageView:
    home = get_user(session=session, user_id=user.principal.user_id)
    zone = get_area(session=session, area_id=home.area_id).timezone
    locale = locale_of(request)
    # What a route translates before rendering (labels, problems) speaks this page's
    # language, not the one a previous request left on the thread.
    i18n.use(locale)
    return PageView(request, user, locale, zone, clock.now())


def page_view(request: Request, session: SessionDep, clock: ClockDep, user: UserDep) -> PageView:
    return _view(request, session, clock, user)


def changing_page_view(
    request: Request, session: SessionDep, clock: ClockDep, user: CsrfUserDep
) -> PageView:
    """For a request that changes something: the CSRF token is checked first."""
    return _view(request, session, clock, user)


PageDep = Annotated[PageView, Depends(page_view)]
CsrfPageDep = Annotated[PageView, Depends(changing_page_view)]
