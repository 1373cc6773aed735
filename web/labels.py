"""The operators' words for the values the domains store (Circular 39's tiers, the
workflow's states), translated when shown. Templates call `label(value)`."""

from __future__ import annotations

from enum import StrEnum

from alerts.models import AlertState, AlertType
from playlists.content.models import ContentKind, ContentStatus, RelayCheck, Tier
from stations.models import StationStatus
from web.i18n import gettext as _
from web.problems import N_

_LABELS: dict[StrEnum, str] = {
    Tier.normal: N_("normal"),
    Tier.priority: N_("priority"),
    Tier.emergency: N_("emergency"),
    ContentStatus.draft: N_("draft"),
    ContentStatus.submitted: N_("waiting for approval"),
    ContentStatus.approved: N_("approved"),
    ContentStatus.rejected: N_("returned for changes"),
    ContentStatus.archived: N_("archived"),
    ContentKind.audio: N_("audio file"),
    ContentKind.tts: N_("typed bulletin (TTS)"),
    ContentKind.relay: N_("relay"),
    RelayCheck.pending: N_("being checked"),
    RelayCheck.ok: N_("stream works"),
    RelayCheck.warning: N_("stream problem"),
    AlertState.pending: N_("waiting for approval"),
    AlertState.issued: N_("issued"),
    AlertState.superseded: N_("replaced by an Update"),
    AlertState.cancelled: N_("cancelled"),
    AlertState.rejected: N_("rejected"),
    AlertState.recorded: N_("recorded"),
    AlertType.alert: N_("Alert"),
    AlertType.update: N_("Update"),
    AlertType.cancel: N_("Cancel"),
    StationStatus.online: N_("online"),
    StationStatus.offline: N_("offline"),
    StationStatus.not_enrolled: N_("not enrolled yet"),
    StationStatus.revoked: N_("revoked"),
}

_ACTIONS = {
    "content.create": N_("created"),
    "content.update": N_("changed"),
    "content.new_version": N_("new version started"),
    "content.submit": N_("sent for approval"),
    "content.approve": N_("approved"),
    "content.reject": N_("returned for changes"),
    "content.archive": N_("archived"),
    "content.supersede": N_("replaced by a newer approved version"),
}


def label(value: StrEnum | None) -> str:
    if value is None:
        return ""
    shown = _LABELS.get(value)
    return _(shown) if shown else str(value)


def action_label(action: str) -> str:
    shown = _ACTIONS.get(action)
    return _(shown) if shown else action


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """(value, label) pairs for a select of every member."""
    return [(member.value, label(member)) for member in enum]
