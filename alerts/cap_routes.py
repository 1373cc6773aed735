"""CAP import: an alert from a CAP 1.2 document (a national or provincial warning feed),
created exactly as `POST /api/v1/alerts` creates one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from sqlmodel import Session

from alerts import crud
from alerts.board import AlertBoardDep
from alerts.cap import MAX_BYTES, CapError, parse_cap
from alerts.cap_import import CapNotice, CapRules, alert_from_cap
from alerts.issuing import create_and_maybe_issue
from alerts.models import AlertSummary
from alerts.views import alert_summary
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.clock import Clock
from core.deps import ClockDep, SessionDep, SettingsDep
from core.errors import Forbidden, Invalid
from core.models import MAX_ID
from playlists.content.services import ContentServicesDep

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts (khẩn cấp)"])

Write = Annotated[AccessControl, Depends(Permission(Action.alert_write))]

CAP_MEDIA_TYPES = ("application/cap+xml", "application/xml", "text/xml")
_XML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"A CAP 1.2 <alert>, UTF-8, at most {MAX_BYTES} bytes",
        "content": {media: {"schema": {"type": "string"}} for media in CAP_MEDIA_TYPES},
    }
}


async def cap_document(request: Request) -> bytes:
    """The request body, read only up to MAX_BYTES: a larger one is refused as it arrives,
    never held in memory whole."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in CAP_MEDIA_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the CAP document as {' or '.join(CAP_MEDIA_TYPES)}, not {media or 'nothing'}",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise _too_large()
    return bytes(body)


def _too_large() -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the CAP document is too large: at most {MAX_BYTES} bytes",
    )


@router.post(
    "/cap",
    response_model=AlertSummary,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an alert from a CAP 1.2 document; with issue_now, issue it at once",
    openapi_extra=_XML_BODY,
    responses={415: {"description": "the body is not sent as one of the XML media types"}},
)
def import_cap(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    document: Annotated[bytes, Depends(cap_document)],
    area_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="The area whose operators manage the alert"),
    ] = None,
    issue_now: Annotated[
        bool, Query(description="Issue at once, as with POST /api/v1/alerts")
    ] = False,
) -> AlertSummary:
    """The document's Vietnamese <info> block (else its first) becomes the alert: headline,
    description and instruction are read by TTS; <effective> (else now) to <expires>, which
    an Alert or Update must give; Update and Cancel act on the alerts their <references>
    name. The alert reaches the areas whose official codes its <geocode>s give (codes not on
    this server are left out) and the stations in your scope standing inside its
    <polygon>s and <circle>s (those beyond it are left out); neither is refused. It is
    managed in `area_id`, by
    default the single target or else the lowest area holding all of them. Whatever is
    unsafe (a DOCTYPE, so no external entities or entity expansion), malformed, not CAP 1.2,
    or not broadcastable (status System or Draft, msgType Ack or Error) is refused with 422
    naming it, and nothing is stored. alerts/cap_import.py has the mapping in full."""
    try:
        cap = parse_cap(document, max_bytes=MAX_BYTES)
    except CapError as exc:
        raise Invalid(exc.message, field="body") from exc
    found = alert_from_cap(
        cap=cap,
        session=session,
        now=clock.now(),
        area_id=area_id,
        issue_now=issue_now,
        rules=CapRules.from_settings(settings),
        scope=access.scope_prefixes(),
    )
    if isinstance(found, CapNotice):
        return _record(session, access, clock, found, chosen=area_id is not None)
    if area_id is None:
        _require_default_area(access, found.alert_in.area_id)
    return create_and_maybe_issue(
        session=session,
        access=access,
        clock=clock,
        settings=settings,
        services=services,
        board=board,
        alert_in=found.alert_in,
        origin=found.origin,
    )


def _record(
    session: Session, access: AccessControl, clock: Clock, notice: CapNotice, *, chosen: bool
) -> AlertSummary:
    """Keep a Cancel of alerts never held here, managed where its areas are, else in the
    caller's own area."""
    area_id = notice.area_id or _own_area(access)
    if chosen:
        access.require_area(area_id, what="the alert", field="area_id")
    else:
        _require_default_area(access, area_id)
    alert = crud.record_notice(
        session=session,
        identifier=notice.identifier,
        status=notice.status.value,
        headline=notice.headline,
        area_id=area_id,
        origin=notice.origin,
        actor=access.actor,
        now=clock.now(),
    )
    session.commit()
    return alert_summary(session=session, alert=alert)


def _own_area(access: AccessControl) -> int:
    areas = sorted({grant.area_id for grant in access.principal.roles_for(Action.alert_write)})
    if len(areas) != 1:
        raise Invalid(
            "the Cancel names no area and none of the alerts it cancels is held here: pass "
            "?area_id= for the area that keeps it",
            field="area_id",
        )
    return areas[0]


def _require_default_area(access: AccessControl, area_id: int) -> None:
    # The area chosen for the caller may lie above their scope (targets in two communes
    # meet at the province): say how to choose another, rather than a bare refusal.
    try:
        access.require_area(area_id, what="the alert")
    except Forbidden as exc:
        raise Forbidden(
            f"{exc}; it is the lowest area holding every target: pass ?area_id= to have the "
            "alert managed in an area of your own"
        ) from exc
