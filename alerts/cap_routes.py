"""CAP import: an alert from a CAP 1.2 document (a national or provincial warning feed),
created exactly as `POST /api/v1/alerts` creates one (alerts/cap_intake.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from alerts.board import AlertBoardDep
from alerts.cap import MAX_BYTES, CapAlert, CapReader
from alerts.cap_intake import CapContext, cap_refusals, import_read, too_large
from alerts.models import AlertSummary
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import MAX_ID
from playlists.content.services import ContentServicesDep

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts (khẩn cấp)"])

Write = Annotated[AccessControl, Depends(Permission(Action.alert_write))]

CAP_PATH = "/api/v1/alerts/cap"
CAP_MEDIA_TYPES = ("application/cap+xml", "application/xml", "text/xml")
_XML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CAP 1.2 <alert>, UTF-8, at most cap_max_bytes "
        f"({MAX_BYTES} bytes by default), embedded media included",
        "content": {media: {"schema": {"type": "string"}} for media in CAP_MEDIA_TYPES},
    }
}


@dataclass(frozen=True)
class ReadDocument:
    """The request's CAP alert, its embedded media decoded into `folder` (removed when the
    request is done)."""

    cap: CapAlert
    folder: Path


async def cap_document(
    request: Request, settings: SettingsDep, services: ContentServicesDep
) -> AsyncIterator[ReadDocument]:
    """The request body fed to the CAP reader chunk by chunk as it arrives: refused (413)
    the moment it passes cap_max_bytes, never held in memory whole."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media not in CAP_MEDIA_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the CAP document as {' or '.join(CAP_MEDIA_TYPES)}, not {media or 'nothing'}",
        )
    max_bytes = settings.cap_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    with services.work_dir() as folder:
        reader = CapReader(max_bytes=max_bytes, folder=folder)
        with cap_refusals():
            async for chunk in request.stream():
                reader.feed(chunk)
            cap = reader.close()
        yield ReadDocument(cap=cap, folder=folder)


@router.post(
    "/cap",
    response_model=AlertSummary,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an alert from a CAP 1.2 document; with issue_now, issue it at once",
    openapi_extra=_XML_BODY,
    responses={
        413: {"description": "the document is larger than cap_max_bytes"},
        415: {"description": "the body is not sent as one of the XML media types"},
    },
)
def import_cap(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    services: ContentServicesDep,
    board: AlertBoardDep,
    document: Annotated[ReadDocument, Depends(cap_document)],
    area_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="The area whose operators manage the alert"),
    ] = None,
    issue_now: Annotated[
        bool, Query(description="Issue at once, as with POST /api/v1/alerts")
    ] = False,
) -> AlertSummary:
    """The document's Vietnamese <info> block (else its first) becomes the alert: headline,
    description and instruction are read by TTS, unless the block has an audio <resource>
    (embedded in <derefUri>, or at a <uri> on a host in cap_resource_hosts): the sender's
    recording is then played instead; its JPEG, PNG, GIF or WebP images are kept with the
    alert. <effective> (else now) to <expires>, which an Alert or Update must give; Update
    and Cancel act on the alerts their <references> name. The alert reaches the areas whose
    official codes its <geocode>s give (codes not on this server are left out) and the
    stations in your scope standing inside its <polygon>s and <circle>s (those beyond it are
    left out); neither is refused. It is managed in `area_id`, by default the single target
    or else the lowest area holding all of them. Whatever is unsafe (a DOCTYPE, so no
    external entities or entity expansion), malformed, not CAP 1.2, not broadcastable
    (status System or Draft, msgType Ack or Error), or whose media are not what they say
    (bad base64, a <digest> not matching, audio that does not decode) is refused with 422
    naming it, and nothing is stored. alerts/cap_import.py has the mapping in full."""
    context = CapContext(
        session=session,
        access=access,
        clock=clock,
        settings=settings,
        services=services,
        board=board,
    )
    return import_read(
        document.cap, context, folder=document.folder, area_id=area_id, issue_now=issue_now
    )
