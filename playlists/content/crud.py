"""Data functions for the content library. Every change is audited in its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from audio.ingest import IngestResult
from core.areas.models import Area
from core.areas.scope import within_areas
from core.audit.chain import Actor, Affects, Subject, record
from core.auth.four_eyes import require_four_eyes
from core.errors import Conflict, Invalid, NotFound
from core.paging import Page, paginate
from playlists.content.models import (
    ContentItem,
    ContentKind,
    ContentMeta,
    ContentStatus,
    ContentUpdate,
    RelayCheck,
    _check_window,
    snapshot,
)
from playlists.content.workflow import (
    EDITABLE_IN_PLACE,
    Step,
    WorkflowError,
    contributor_ids,
    next_status,
    with_contributor,
)


def get_item(*, session: Session, item_id: int, for_update: bool = False) -> ContentItem:
    """The item; `for_update` locks its row (PostgreSQL) and re-reads it, so concurrent
    changes and approvals of one item happen one after the other."""
    item = session.get(
        ContentItem, item_id, with_for_update=for_update, populate_existing=for_update
    )
    if item is None:
        raise NotFound(f"no content item #{item_id}")
    return item


def _subject(item: ContentItem) -> Subject:
    return Subject("content", item.id, item.area_id)


def _affects(item: ContentItem) -> Affects:
    # Queue entries name a lineage: every version of the item plays through it.
    return Affects.of(lineages=[item.lineage_id])


def _require_area(session: Session, area_id: int) -> None:
    if session.get(Area, area_id) is None:
        raise Invalid(f"area #{area_id} does not exist", field="area_id")


def _audio_fields(result: IngestResult) -> dict[str, Any]:
    return {
        "sha256": result.sha256,
        "size_bytes": result.size_bytes,
        "duration_s": result.duration_s,
        "source_format": f"{result.source.format_name}/{result.source.codec}"[:100],
        "loudness_before_lufs": result.before.integrated_lufs,
        "loudness_after_lufs": result.after.integrated_lufs,
        "peak_before_dbfs": _finite(result.before.peak_dbfs),
        "peak_after_dbfs": _finite(result.after.peak_dbfs),
        "gain_db": result.gain_db,
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or value in (float("inf"), float("-inf")) else value


@dataclass(frozen=True, kw_only=True)
class NewItem:
    kind: ContentKind
    meta: ContentMeta
    audio: IngestResult | None = None
    original_filename: str | None = None
    voice: str | None = None
    stream_url: str | None = None


def create_item(*, session: Session, new: NewItem, actor: Actor, now: datetime) -> ContentItem:
    assert actor.id is not None, "content is created by a signed-in user"
    _require_area(session, new.meta.area_id)
    item = ContentItem(
        **new.meta.model_dump(exclude={"voice", "stream_url"}),
        kind=new.kind,
        status=ContentStatus.draft,
        created_by=actor.id,
        contributors=with_contributor("", actor.id),
        created_at=now,
        updated_at=now,
        original_filename=new.original_filename,
        voice=new.voice,
        stream_url=new.stream_url,
        **(_audio_fields(new.audio) if new.audio else {}),
    )
    session.add(item)
    session.flush()
    assert item.id is not None
    item.lineage_id = item.id
    session.add(item)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="content.create",
        subject=_subject(item),
        now=now,
        after=snapshot(item),
        affects=_affects(item),
    )
    return item


def _open_version(session: Session, item: ContentItem) -> ContentItem | None:
    """A newer version of the item's lineage still being worked on, if any."""
    return session.exec(
        select(ContentItem).where(
            ContentItem.lineage_id == item.lineage_id,
            col(ContentItem.version) > item.version,
            col(ContentItem.status).in_(list(EDITABLE_IN_PLACE)),
        )
    ).first()


def update_item(
    *,
    session: Session,
    item: ContentItem,
    changes: ContentUpdate,
    actor: Actor,
    now: datetime,
    audio: IngestResult | None = None,
) -> ContentItem:
    """Edit a draft, submitted or rejected item in place (it returns to draft); an approved
    item stays as it is and gets a new draft version carrying the changes."""
    values = changes.model_dump(exclude_unset=True)
    if values.get("stream_url") is not None:
        values["stream_url"] = str(values["stream_url"])
        # A new URL has not been checked yet.
        values |= {
            "relay_check": RelayCheck.pending,
            "relay_check_message": None,
            "relay_checked_at": None,
        }
    if "stream_url" in values and item.kind != ContentKind.relay:
        raise Invalid("only relay items have a stream URL", field="stream_url")
    if "area_id" in values:
        _require_area(session, values["area_id"])
    if audio is not None:
        values |= _audio_fields(audio)
    if item.status == ContentStatus.approved:
        return _new_version(session, item, values, actor, now)
    if item.status not in EDITABLE_IN_PLACE:
        raise WorkflowError(f"an {item.status.value} item cannot be changed")
    before = snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    _check_item_window(item)
    assert actor.id is not None
    item.contributors = with_contributor(item.contributors, actor.id)
    item.status = ContentStatus.draft
    item.updated_at = now
    session.add(item)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="content.update",
        subject=_subject(item),
        now=now,
        before=before,
        after=snapshot(item),
        affects=_affects(item),
    )
    return item


def _check_item_window(item: ContentItem) -> None:
    try:
        _check_window(item.valid_from, item.valid_until)
    except ValueError as exc:
        raise Invalid(str(exc), field="valid_until") from exc


def _new_version(
    session: Session, item: ContentItem, values: dict[str, Any], actor: Actor, now: datetime
) -> ContentItem:
    pending = _open_version(session, item)
    if pending is not None:
        raise Conflict(
            f"version {pending.version} of this item (#{pending.id}) is already "
            "being edited: change that one"
        )
    assert actor.id is not None
    copied = item.model_dump(
        exclude={
            "id",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "reject_reason",
        }
    )
    version = ContentItem(**copied)
    for key, value in values.items():
        setattr(version, key, value)
    version.version = _latest_version(session, item.lineage_id) + 1
    version.status = ContentStatus.draft
    version.created_by = actor.id
    version.contributors = with_contributor("", actor.id)
    version.created_at = version.updated_at = now
    _check_item_window(version)
    session.add(version)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="content.new_version",
        subject=_subject(version),
        now=now,
        before=snapshot(item),
        after=snapshot(version),
        affects=_affects(version),
    )
    return version


def _latest_version(session: Session, lineage_id: int) -> int:
    query = select(func.max(ContentItem.version)).where(ContentItem.lineage_id == lineage_id)
    return session.exec(query).one() or 0


def apply_step(
    *,
    session: Session,
    item: ContentItem,
    step: Step,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
) -> ContentItem:
    before = snapshot(item)
    target = next_status(item.status, step)
    if step in (Step.approve, Step.reject):
        assert actor.id is not None
        require_four_eyes(
            authors=contributor_ids(item.contributors),
            reviewer_id=actor.id,
            what="this version",
            instead="another approver must review it",
        )
        item.reviewed_by, item.reviewed_at = actor.id, now
    if step == Step.submit:
        item.submitted_at = now
    if step == Step.approve:
        _retire_previous(session, item, actor, now)
    if step == Step.reject:
        item.reject_reason = reason
    elif step == Step.submit:
        item.reject_reason = None
    item.status = target
    item.updated_at = now
    session.add(item)
    session.flush()
    record(
        session=session,
        actor=actor,
        action=f"content.{step.value}",
        subject=_subject(item),
        now=now,
        before=before,
        after=snapshot(item),
        affects=_affects(item),
    )
    return item


def versions_to_retire(*, session: Session, item: ContentItem) -> list[ContentItem]:
    """Other approved versions of the item's lineage: approving it archives them."""
    return list(
        session.exec(
            select(ContentItem).where(
                ContentItem.lineage_id == item.lineage_id,
                ContentItem.status == ContentStatus.approved,
                ContentItem.id != item.id,
            )
        ).all()
    )


def _retire_previous(session: Session, item: ContentItem, actor: Actor, now: datetime) -> None:
    """The version approved before this one stops being schedulable now."""
    for previous in versions_to_retire(session=session, item=item):
        before = snapshot(previous)
        previous.status = ContentStatus.archived
        previous.updated_at = now
        session.add(previous)
        session.flush()
        record(
            session=session,
            actor=actor,
            action="content.supersede",
            subject=_subject(previous),
            now=now,
            before=before,
            after=snapshot(previous),
            affects=_affects(previous),
        )


@dataclass(frozen=True, kw_only=True)
class ContentFilter:
    status: ContentStatus | None = None
    kind: ContentKind | None = None
    tier: str | None = None
    language: str | None = None
    area_id: int | None = None
    lineage_id: int | None = None
    created_by: int | None = None
    q: str | None = None


def list_items(
    *, session: Session, prefixes: Sequence[str], page: Page, filters: ContentFilter
) -> tuple[list[ContentItem], int]:
    query = within_areas(select(ContentItem), area_id=col(ContentItem.area_id), prefixes=prefixes)
    for name in ("status", "kind", "tier", "language", "area_id", "lineage_id", "created_by"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(ContentItem, name) == value)
    if filters.q:
        # Literally: % and _ in what the user typed are characters, not wildcards.
        query = query.where(col(ContentItem.title).icontains(filters.q, autoescape=True))
    return paginate(session, query, page, col(ContentItem.id).desc())
