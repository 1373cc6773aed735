"""One CAP document from a feed into an alert, exactly as `POST /api/v1/alerts/cap` takes
it: through the same import of a byte stream (alerts/cap_intake.py `import_cap`)."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.board import AlertBoard
from alerts.cap import CapAlert, CapError, parse_cap
from alerts.cap_intake import CapContext, import_cap
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
    The poller has read the document once already (its sender); this is the API's own import
    of a byte stream (alerts/cap_intake.py), media and all."""
    context = CapContext(
        session=access.session,
        access=access,
        clock=importer.clock,
        settings=importer.settings,
        services=importer.services,
        board=importer.board,
    )
    return import_cap([document], context, area_id=area_id, issue_now=issue_now).id
