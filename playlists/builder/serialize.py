"""A timeline as canonical JSON: the same timeline gives the same bytes (and version)."""

from __future__ import annotations

import json
from typing import Any

from playlists.builder.domain import BuildWarning, SessionWindow, Timeline, TimelineItem

# Bumped whenever the builder or this format gives different bytes for the same inputs:
# the server then rebuilds every station at once instead of at the next local midnight.
TIMELINE_FORMAT = 2


def item_json(item: TimelineItem) -> dict[str, Any]:
    return {
        "start": item.start.isoformat(),
        "duration_s": round(item.duration_s, 3),
        "timing": item.timing.value,
        "tier": item.tier.name,
        "volume": item.volume,
        "content_id": item.content_id,
        "queue_id": item.queue_id,
        "session_id": item.session_id,
        "title": item.title,
        "sha256": item.sha256,
        "stream_url": item.stream_url,
    }


def window_json(window: SessionWindow) -> dict[str, Any]:
    body: dict[str, Any] = {
        "session_id": window.session_id,
        "name": window.name,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "volume": window.volume,
    }
    if window.after_cut != "resume":  # left out by default: older bodies keep their digest
        body["after_cut"] = window.after_cut
    return body


def warning_json(warning: BuildWarning) -> dict[str, Any]:
    return {
        "code": warning.code,
        "queue_id": warning.queue_id,
        "content_id": warning.content_id,
        "session_id": warning.session_id,
        "message": warning.message,
    }


def timeline_bytes(timeline: Timeline) -> bytes:
    document = {
        "day": timeline.day.isoformat(),
        "timezone": timeline.timezone,
        "sessions": [window_json(w) for w in timeline.sessions],
        "items": [item_json(i) for i in timeline.items],
        "warnings": [warning_json(w) for w in timeline.warnings],
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
