"""One CAP document from a feed into an alert, exactly as `POST /api/v1/alerts/cap` takes
it (alerts/cap_routes.py `import_cap`): kept in this one function so the shared import of a
byte stream can replace its body."""

from __future__ import annotations

from dataclasses import dataclass

from alerts import crud
from alerts.board import AlertBoard
from alerts.cap import CapAlert, CapError, parse_cap
from alerts.cap_import import CapNotice, CapRules, alert_from_cap
from alerts.issuing import create_and_maybe_issue
from core.auth.deps import AccessControl
from core.clock import Clock
from core.config import Settings
from core.errors import Invalid
from playlists.content.services import ContentServices


@dataclass(frozen=True, kw_only=True)
class FeedImporter:
    """What an import needs from the server."""

    clock: Clock
    settings: Settings
    services: ContentServices
    board: AlertBoard


def read_document(document: bytes, *, max_bytes: int) -> CapAlert:
    try:
        return parse_cap(document, max_bytes=max_bytes)
    except CapError as exc:
        raise Invalid(exc.message, field="body") from exc


def import_document(
    *,
    importer: FeedImporter,
    access: AccessControl,
    document: bytes,
    area_id: int,
    issue_now: bool,
) -> int:
    """The id of the alert stored from `document` (committed), managed in `area_id`; raises
    what the import raises (Invalid, Forbidden, Conflict for a (sender, identifier) stored).
    The poller has read the document once already (its sender); reading it again here
    keeps this the import of a byte stream, as the API's."""
    session = access.session
    cap = read_document(document, max_bytes=importer.settings.cap_document_max_bytes)
    found = alert_from_cap(
        cap=cap,
        session=session,
        now=importer.clock.now(),
        area_id=area_id,
        issue_now=issue_now,
        rules=CapRules.from_settings(importer.settings),
    )
    if isinstance(found, CapNotice):
        access.require_area(area_id, what="the alert", field="area_id")
        alert = crud.record_notice(
            session=session,
            identifier=found.identifier,
            status=found.status.value,
            headline=found.headline,
            area_id=area_id,
            origin=found.origin,
            actor=access.actor,
            now=importer.clock.now(),
        )
        session.commit()
        assert alert.id is not None
        return alert.id
    summary = create_and_maybe_issue(
        session=session,
        access=access,
        clock=importer.clock,
        settings=importer.settings,
        services=importer.services,
        board=importer.board,
        alert_in=found.alert_in,
        origin=found.origin,
    )
    return summary.id
