"""A CAP document imported: read as its bytes come (`read_cap`), mapped (`alert_from_cap`),
its media taken (`cap_media`), and the alert created as `POST /api/v1/alerts` creates one.

`import_cap` takes the document as any iterable of byte chunks (a feed poller's download);
the route reads the request's chunks itself (they come asynchronously) and hands the read
alert to `import_read`. Either way the embedded media live in a work folder removed once
the import ends, and a refusal leaves nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from fastapi import HTTPException, status
from sqlmodel import Session

from alerts import crud
from alerts.board import AlertBoard
from alerts.cap import CapAlert, CapError, CapTooLarge, read_cap
from alerts.cap_fetch import FetchRules
from alerts.cap_import import CapNotice, CapRules, alert_from_cap
from alerts.cap_media import cap_media, no_media
from alerts.issuing import create_and_maybe_issue
from alerts.models import AlertSummary, AlertType
from alerts.views import alert_summary
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.clock import Clock
from core.config import Settings
from core.errors import Forbidden, Invalid
from playlists.content.services import ContentServices


@dataclass(frozen=True, kw_only=True)
class CapContext:
    """Who imports, and the server's parts an import uses."""

    session: Session
    access: AccessControl
    clock: Clock
    settings: Settings
    services: ContentServices
    board: AlertBoard


def import_cap(
    chunks: Iterable[bytes],
    context: CapContext,
    *,
    area_id: int | None = None,
    issue_now: bool = False,
) -> AlertSummary:
    """The alert (or the notice of a Cancel) the CAP document in `chunks` makes. Raises
    HTTPException 413 past cap_max_bytes, Invalid naming the element for a document that
    is unsafe, malformed or not broadcastable, Forbidden outside the caller's scope."""
    with context.services.work_dir() as folder:
        with cap_refusals():
            cap = read_cap(chunks, max_bytes=context.settings.cap_max_bytes, folder=folder)
        return import_read(cap, context, folder=folder, area_id=area_id, issue_now=issue_now)


@contextmanager
def cap_refusals() -> Iterator[None]:
    """CapError as the API answers it: 413 for a document too large, else 422."""
    try:
        yield
    except CapTooLarge as exc:
        raise too_large(exc.max_bytes) from exc
    except CapError as exc:
        raise Invalid(exc.message, field="body") from exc


def too_large(max_bytes: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        f"the CAP document is too large: at most {max_bytes} bytes (settings: cap_max_bytes)",
    )


def import_read(
    cap: CapAlert,
    context: CapContext,
    *,
    folder: Path,
    area_id: int | None = None,
    issue_now: bool = False,
) -> AlertSummary:
    """`import_cap` for a document already read, its media in `folder`."""
    settings, access = context.settings, context.access
    rules = CapRules.from_settings(settings)
    found = alert_from_cap(
        cap=cap,
        session=context.session,
        now=context.clock.now(),
        area_id=area_id,
        issue_now=issue_now,
        # Stations inside a shape but beyond the importer's scope are left out.
        scope=access.scope_prefixes(),
        rules=rules,
    )
    if isinstance(found, CapNotice):
        return _record(context, found, chosen=area_id is not None)
    if area_id is None:
        _require_default_area(access, found.alert_in.area_id)
    media = no_media
    if found.alert_in.msg_type != AlertType.cancel:  # a Cancel makes no sound
        # The block alert_from_cap read; its media taken once every check has passed
        # (create_and_maybe_issue asks for them then).
        info = cap.info_for(rules.languages)
        media = partial(
            cap_media, cap, info, folder=folder, rules=FetchRules.from_settings(settings)
        )
    return create_and_maybe_issue(
        session=context.session,
        access=access,
        clock=context.clock,
        settings=settings,
        services=context.services,
        board=context.board,
        alert_in=found.alert_in,
        origin=found.origin,
        media=media,
    )


def _record(context: CapContext, notice: CapNotice, *, chosen: bool) -> AlertSummary:
    """Keep a Cancel of alerts never held here, managed where its areas are, else in the
    caller's own area."""
    access, session = context.access, context.session
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
        now=context.clock.now(),
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
