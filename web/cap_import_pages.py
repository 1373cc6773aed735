"""Importing a CAP 1.2 file (Nhập tệp CAP) on the emergency pages: the same import as
`POST /api/v1/alerts/cap`, from a file chosen on a phone or a laptop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import RedirectResponse, Response

from alerts.board import AlertBoardDep
from alerts.cap_intake import CapContext, import_cap
from alerts.models import AlertState
from core.auth.deps import access_for
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from playlists.content.services import ContentServicesDep
from web.context import CsrfPageDep, PageDep, PageView
from web.i18n import gettext as _
from web.problems import REFUSALS, problems_of, status_of

router = APIRouter(include_in_schema=False)
CAP_PAGE_PATH = "/alerts/import"
CHUNK = 64 * 1024


def _page(
    view: PageView, settings: SettingsDep, error: str | None = None, status_code: int = 200
) -> Response:
    single = settings.alert_single_confirmation and bool(
        view.user.principal.roles_for(Action.alert_approve)
    )
    context = {"error": error, "single": single, "max_kb": settings.cap_max_bytes // 1024}
    return view.render("alerts/import.html", context, status_code=status_code)


@router.get(CAP_PAGE_PATH)
def import_form(session: SessionDep, settings: SettingsDep, view: PageDep) -> Response:
    access_for(principal=view.user.principal, action=Action.alert_write, session=session)
    return _page(view, settings)


def _chunks(file: UploadFile) -> Iterator[bytes]:
    while chunk := file.file.read(CHUNK):
        yield chunk


@router.post(CAP_PAGE_PATH)
def import_file(
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    view: CsrfPageDep,
    file: Annotated[UploadFile | None, File()] = None,
    issue_now: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    access = access_for(principal=view.user.principal, action=Action.alert_write, session=session)
    if file is None or not file.filename:
        return _page(view, settings, _("Choose the CAP file (.xml) to import."), 422)
    context = CapContext(
        session=session,
        access=access,
        clock=clock,
        settings=settings,
        services=services,
        board=board,
    )
    try:
        summary = import_cap(_chunks(file), context, issue_now=bool(issue_now))
    except HTTPException as exc:  # larger than cap_max_bytes
        session.rollback()
        message = _("The file is too large: a CAP file may hold at most %(kb)d kB.") % {
            "kb": settings.cap_max_bytes // 1024
        }
        return _page(view, settings, message, exc.status_code)
    except REFUSALS as exc:
        session.rollback()
        return _page(view, settings, problems_of(exc).general or str(exc), status_of(exc))
    done = "issued" if summary.state == AlertState.issued else "drafted"
    return RedirectResponse(f"/alerts/{summary.id}?done={done}", status_code=303)
