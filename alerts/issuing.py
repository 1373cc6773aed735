"""Creating an alert (and issuing it at once when asked and allowed): the one path shared by
`POST /api/v1/alerts` and the CAP import, with the scope checks both need."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from alerts import crud
from alerts.audio import alert_audio
from alerts.board import AlertBoard
from alerts.cap_media import CapMedia, no_media
from alerts.models import AlertCreate, AlertImage, AlertSummary, AlertTargets, CapOrigin
from alerts.views import alert_summary
from core.areas.models import Area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.clock import Clock
from core.config import Settings
from core.errors import Forbidden, Invalid
from playlists.content.audio_service import NewFile, commit_with_files
from playlists.content.services import ContentServices


def create_and_maybe_issue(
    *,
    session: Session,
    access: AccessControl,
    clock: Clock,
    settings: Settings,
    services: ContentServices,
    board: AlertBoard,
    alert_in: AlertCreate,
    origin: CapOrigin | None = None,
    media: Callable[[], CapMedia] = no_media,
) -> AlertSummary:
    """Store the alert, pending; with issue_now, issue it too, unless it reaches more
    stations than its CAP sender's ceiling (`origin.station_ceiling`): then it waits for an
    approver, saying why. Everything that can refuse it is checked before its text is read
    by TTS (or its CAP sender's recording normalised), so a refusal leaves no file behind.
    `media` gives a CAP sender's recording and images, asked for only then: nothing is
    fetched for an alert that is refused."""
    stations = origin.target_station_ids if origin else ()
    targets = crud.targets_of(session=session, alert_in=alert_in, station_ids=stations)
    # Checked on every area the alert acts in: the targets it really reaches (a Cancel
    # naming none reaches those of the alert it cancels), the areas its stations and its
    # groups stand in, and the alerts it ends, which must all lie in the caller's scope.
    reach = crud.areas_in_reach(session=session, targets=targets, references=alert_in.references)
    require_scope(access, alert_in.area_id, reach, what="the alert", field="target_area_ids")
    if alert_in.issue_now:
        paths = area_paths(access.session, [alert_in.area_id, *reach])
        require_single_confirmation(access, paths, allowed=settings.alert_single_confirmation)
    hold = _over_ceiling(session, targets, origin) if alert_in.issue_now else None
    issue_now = alert_in.issue_now and hold is None
    if alert_in.identifier is not None:
        # Asked before TTS too: a CAP feed sent twice must not leave a second file in
        # storage. crud checks again when it stores (the race stays safe). Unknown
        # references were refused already, by crud.areas_in_reach.
        sender = crud.sender_of(actor=access.actor, origin=origin)
        crud.require_new_identifier(session=session, sender=sender, identifier=alert_in.identifier)
    sent = media()
    spoken = alert_audio(
        session=session,
        access=access,
        services=services,
        alert_in=alert_in,
        recording=sent.recording,
    )
    with spoken as (audio, made):
        alert = crud.create_alert(
            session=session,
            alert_in=alert_in,
            targets=targets,
            audio=audio,
            actor=access.actor,
            now=clock.now(),
            origin=origin,
            hold_reason=hold,
            images=[
                AlertImage(
                    sha256=image.sha256,
                    mime_type=image.mime_type,
                    size_bytes=image.size_bytes,
                    description=image.description,
                )
                for image in sent.images
            ],
        )
        if issue_now:
            crud.issue(
                session=session, alert=alert, actor=access.actor, now=clock.now(), single=True
            )
        # Stored before the alert is committed (agents fetch it the moment it is issued),
        # and removed again if the commit fails.
        files = [NewFile(image.path, image.sha256) for image in sent.images]
        if made is not None:
            files.insert(0, NewFile(made.output, made.sha256))
        commit_with_files(session=session, services=services, files=files)
    if issue_now:
        board.changed()  # on the air: pushed now, in the manifests from now
    return alert_summary(session=session, alert=alert)


def require_scope(
    access: AccessControl,
    area_id: int,
    target_area_ids: list[int],
    *,
    what: str,
    field: str | None = None,
) -> None:
    access.require_area(area_id, what=what, field=field and "area_id")
    for target in target_area_ids:
        access.require_area(target, what=f"{what}'s target area #{target}", field=field)


def require_single_confirmation(
    access: AccessControl,
    paths: list[str],
    *,
    allowed: bool,
    approve: Action = Action.alert_approve,
    what: str = "the alert",
) -> None:
    if not allowed:
        raise Forbidden(
            "issue_now is off on this server (alert_single_confirmation): "
            f"an approver must approve {what}"
        )
    if not all(access.principal.can(approve, path) for path in paths):
        raise Forbidden(
            f"issue_now needs approver rights too, in the area of {what} and every target: "
            f"without them, an approver must approve {what}"
        )


def area_paths(session: Session, area_ids: list[int]) -> list[str]:
    paths = list(session.exec(select(Area.path).where(col(Area.id).in_(area_ids))).all())
    if len(paths) != len(set(area_ids)):
        raise Invalid("an area named by the alert does not exist", field="target_area_ids")
    return paths


def _over_ceiling(session: Session, targets: AlertTargets, origin: CapOrigin | None) -> str | None:
    """Why the alert may not be issued at once: it reaches more stations than its sender's
    ceiling (None: it may)."""
    if origin is None or origin.station_ceiling is None:
        return None
    reached = len(crud.reached_by(session=session, targets=targets))
    if reached <= origin.station_ceiling:
        return None
    return (
        f"it reaches {reached} stations, more than the {origin.station_ceiling} an alert from "
        f"{origin.sender} may reach without an approver (settings: cap_station_ceilings): "
        "an approver must approve it"
    )
