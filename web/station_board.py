"""The stations' status board (Cụm loa): the page, and the fragment it asks for every
`board_refresh_s` to stay current without a reload.

Conditional polling rather than server-sent events: a board is a small table that changes
when a heartbeat arrives or a station misses its third one (time alone turns a station
offline, with no event to push), the server runs in several processes behind nginx, and a
poll is one short request an nginx or a phone's browser never holds open. The fragment
carries the digest of what it shows; asked again with that digest, the server answers 204
(htmx then leaves the page alone), and the rendered board is kept for a few seconds per
scope and language, so hundreds of boards open on one commune cost one query per interval.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from core.areas.crud import get_area
from core.areas.models import Area
from core.auth.deps import access_for
from core.auth.permissions import Action
from core.deps import SessionDep, SettingsDep
from core.errors import Forbidden
from core.models import MAX_ID
from stations.board import board
from web.context import PageDep, PageView
from web.templating import environment, speaking

router = APIRouter(include_in_schema=False)
BOARD = "stations/_board.html"
LIVE = "stations/_board_live.html"  # the board in the element that asks for it again
KEPT_BOARDS = 512  # scopes × languages a process keeps rendered


class BoardCache:
    """Rendered boards, each kept `ttl_s`: (area, scope, language, zone) → (html, digest)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[object, ...], tuple[float, str, str]] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> tuple[str, str] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None or time.monotonic() - found[0] > self._ttl_s:
                return None
            return found[1], found[2]

    def put(self, key: tuple[object, ...], html: str, digest: str) -> tuple[str, str]:
        with self._lock:
            self._kept[key] = (time.monotonic(), html, digest)
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT_BOARDS:
                self._kept.popitem(last=False)
        return html, digest


def board_cache(request: Request, refresh_s: float) -> BoardCache:
    cache: BoardCache | None = getattr(request.app.state, "board_cache", None)
    if cache is None:
        # Kept for half the refresh: a board is never more than 1.5 intervals behind.
        cache = request.app.state.board_cache = BoardCache(ttl_s=refresh_s / 2)
    return cache


def _board_area(session: Session, view: PageView, area_id: int | None) -> Area | None:
    access = access_for(principal=view.user.principal, action=Action.station_read, session=session)
    if area_id is None:
        return None
    access.require_area(area_id, what=f"area #{area_id}")
    return get_area(session=session, area_id=area_id)


def _rendered(
    session: Session, view: PageView, settings: SettingsDep, area: Area | None
) -> tuple[str, str]:
    prefixes = view.user.principal.scope_prefixes(Action.station_read)
    if not prefixes:
        raise Forbidden(f"none of your roles allows {Action.station_read.value}")
    key = (area.id if area else None, prefixes, view.locale, view.zone)
    cache = board_cache(view.request, settings.board_refresh_s)
    kept = cache.get(key)
    if kept is not None:
        return kept
    data = board(
        session=session,
        prefixes=prefixes,
        area=area,
        now=view.now,
        offline_after=timedelta(seconds=settings.station_offline_after_s),
    )
    words = speaking(view.locale, view.zone)
    inner = environment.get_template(BOARD).render(**words, board=data, now=view.now)
    digest = _digest(inner)
    live = {
        "inner": Markup(inner),
        "digest": digest,
        "refresh_s": settings.board_refresh_s,
        "area_query": f"area={data.area.id}&" if data.area else "",
    }
    return cache.put(key, environment.get_template(LIVE).render(**words, **live), digest)


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


@router.get("/stations")
def board_page(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    area: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    place = _board_area(session, view, area)
    html, digest = _rendered(session, view, settings, place)
    crumbs = _crumbs(session, view, place)
    can_add = view.user.principal.roles_for(Action.station_write) != ()
    context = {"board_html": html, "digest": digest, "area": place, "crumbs": crumbs}
    return view.render("stations/board.html", context | {"can_add": can_add})


@router.get("/stations/board")
def board_fragment(
    session: SessionDep,
    settings: SettingsDep,
    view: PageDep,
    area: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    seen: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The board alone: 204 when it is what the page shows (`seen`, its digest)."""
    html, digest = _rendered(session, view, settings, _board_area(session, view, area))
    if seen == digest:
        return Response(status_code=204)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _crumbs(session: Session, view: PageView, area: Area | None) -> list[Area]:
    """The area's ancestors the reader may see, top first (the links up the tree)."""
    if area is None:
        return []
    ids = [int(part) for part in area.path.strip("/").split("/")[:-1]]
    principal = view.user.principal
    ancestors = [get_area(session=session, area_id=i) for i in ids]
    return [a for a in ancestors if principal.can(Action.station_read, a.path)]
