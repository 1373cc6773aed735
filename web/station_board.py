"""The stations' status board (Cụm loa): the page, and the fragment it asks for every
`board_refresh_s` to stay current without a reload (web/live.py says how, and why polling).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
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
from web.live import fragment_response, live_part
from web.templating import environment, speaking

router = APIRouter(include_in_schema=False)
BOARD = "stations/_board.html"


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
    url = f"/stations/board?area={area.id}" if area else "/stations/board"

    def rendered() -> str:
        data = board(
            session=session,
            prefixes=prefixes,
            area=area,
            now=view.now,
            offline_after=timedelta(seconds=settings.station_offline_after_s),
        )
        words = speaking(view.locale, view.zone)
        minutes = max(1, round(settings.station_offline_after_s / 60))
        return environment.get_template(BOARD).render(
            **words, board=data, now=view.now, offline_min=minutes
        )

    return live_part(
        view.request,
        key=("board", area.id if area else None, prefixes, view.locale, view.zone),
        refresh_s=settings.board_refresh_s,
        url=url,
        element_id="board",
        render=rendered,
    )


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
    return fragment_response(view.request, html, digest, seen)


def _crumbs(session: Session, view: PageView, area: Area | None) -> list[Area]:
    """The area's ancestors the reader may see, top first (the links up the tree)."""
    if area is None:
        return []
    ids = [int(part) for part in area.path.strip("/").split("/")[:-1]]
    principal = view.user.principal
    ancestors = [get_area(session=session, area_id=i) for i in ids]
    return [a for a in ancestors if principal.can(Action.station_read, a.path)]
