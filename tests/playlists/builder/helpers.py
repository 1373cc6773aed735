"""Small builders of builder inputs for the tests."""

from __future__ import annotations

from datetime import date, time

from playlists.builder.domain import ContentSpec, QueueSpec, SessionSpec, TierRank
from playlists.builder.recurrence import Recurrence, Repeat

DAILY = Recurrence(repeat=Repeat.daily)


def session(
    id: int, start: str, minutes: int, *, volume: int = 80, recurrence: Recurrence = DAILY
) -> SessionSpec:
    return SessionSpec(
        id=id,
        name=f"Phiên {id}",
        start=time.fromisoformat(start),
        max_length_s=minutes * 60,
        recurrence=recurrence,
        volume=volume,
    )


def content(
    id: int, seconds: float | None, tier: TierRank = TierRank.normal, **extra: object
) -> ContentSpec:
    return ContentSpec(
        id=id,
        title=f"Bản tin {id}",
        tier=tier,
        duration_s=seconds,
        sha256=f"{id:064x}" if seconds is not None else None,
        **extra,
    )  # type: ignore[arg-type]


def soft(
    id: int,
    content_id: int,
    session_id: int,
    *,
    order: int = 0,
    repeat: int = 1,
    recurrence: Recurrence = DAILY,
) -> QueueSpec:
    return QueueSpec(
        id=id,
        content_id=content_id,
        session_id=session_id,
        order=order,
        repeat=repeat,
        recurrence=recurrence,
    )


def hard(
    id: int,
    content_id: int,
    at: str,
    *,
    relay_minutes: int | None = None,
    recurrence: Recurrence = DAILY,
) -> QueueSpec:
    return QueueSpec(
        id=id,
        content_id=content_id,
        at=time.fromisoformat(at),
        relay_length_s=relay_minutes * 60 if relay_minutes else None,
        recurrence=recurrence,
    )


def once(day: date) -> Recurrence:
    return Recurrence(repeat=Repeat.once, start_date=day)
