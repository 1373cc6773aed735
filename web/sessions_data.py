"""What the session pages show beside the form: the area tree and station groups a session
may target, the policy in force in its area, its queue with each entry's content, and the
approved content that can be queued. Read through the domains' data functions, in the
scope the caller's access gives."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from core.areas import crud as areas_crud
from core.areas.models import Area
from core.auth.deps import AccessControl
from core.paging import Page
from playlists.content import crud as content_crud
from playlists.content.models import ContentItem, ContentStatus
from playlists.sessions import policy, queue
from playlists.sessions.models import PolicyIn, QueueEntry
from stations import crud as stations_crud
from stations.models import StationGroup

# A commune has a few villages, a district a few dozen communes: the tree a form shows.
AREAS_SHOWN = 500
GROUPS_SHOWN = 200
PICKER_SHOWN = 20
QUEUE_SHOWN = 500


@dataclass(frozen=True)
class TreeArea:
    area: Area
    depth: int  # 0 for the top of the caller's scope


@dataclass
class Choices:
    areas: list[TreeArea] = field(default_factory=list)
    groups: list[StationGroup] = field(default_factory=list)


def choices_for(*, session: Session, access: AccessControl) -> Choices:
    """The areas (as a tree, top down) and groups where the caller may schedule."""
    prefixes = access.scope_prefixes()
    page = Page(offset=0, limit=AREAS_SHOWN)
    rows, _ = areas_crud.list_areas(session=session, prefixes=prefixes, page=page)
    tops = [p.count("/") for p in prefixes]
    areas = [TreeArea(a, a.path.count("/") - min(tops)) for a in rows]
    groups, _ = stations_crud.list_groups(
        session=session, prefixes=prefixes, page=Page(offset=0, limit=GROUPS_SHOWN)
    )
    return Choices(areas=areas, groups=groups)


def policy_in_force(*, session: Session, area_id: int | None) -> PolicyIn | None:
    """The policy the session's area inherits (None while no area is chosen)."""
    if area_id is None:
        return None
    area = session.get(Area, area_id)
    return None if area is None else policy.effective_policy(session=session, area=area)


@dataclass(frozen=True)
class QueueRow:
    entry: QueueEntry
    item: ContentItem | None  # the approved version that plays; None when none is


def queue_of(*, session: Session, access: AccessControl, session_id: int) -> list[QueueRow]:
    """The session's queue in its order (the builder's: order, then when it was queued)."""
    entries, _ = queue.list_entries(
        session=session,
        prefixes=access.scope_prefixes(),
        page=Page(offset=0, limit=QUEUE_SHOWN),
        session_id=session_id,
    )
    entries.sort(key=lambda e: (e.order, e.id or 0))
    return [QueueRow(e, _approved(session, access, e.lineage_id)) for e in entries]


def _approved(session: Session, access: AccessControl, lineage_id: int) -> ContentItem | None:
    found, _ = content_crud.list_items(
        session=session,
        prefixes=access.scope_prefixes(),
        page=Page(offset=0, limit=1),
        filters=content_crud.ContentFilter(lineage_id=lineage_id, status=ContentStatus.approved),
    )
    return found[0] if found else None


def queueable(*, session: Session, access: AccessControl, q: str) -> tuple[list[ContentItem], int]:
    """Approved content the caller may queue, newest first, its title matching `q`."""
    return content_crud.list_items(
        session=session,
        prefixes=access.scope_prefixes(),
        page=Page(offset=0, limit=PICKER_SHOWN),
        filters=content_crud.ContentFilter(status=ContentStatus.approved, q=q or None),
    )


def next_order(rows: list[QueueRow]) -> int:
    """Where a new entry goes: after the last one."""
    return max((r.entry.order for r in rows), default=-1) + 1


def moved(rows: list[QueueRow], entry_id: int, step: int) -> dict[int, int]:
    """The entries whose order changes when one moves `step` places (-1 up, +1 down): the
    queue numbered afresh 0, 1, 2… with the two swapped. Empty when it cannot move."""
    ids = [r.entry.id for r in rows]
    if entry_id not in ids:
        return {}
    here = ids.index(entry_id)
    there = here + step
    if not 0 <= there < len(ids):
        return {}
    ids[here], ids[there] = ids[there], ids[here]
    orders = {r.entry.id: r.entry.order for r in rows}
    return {i: n for n, i in enumerate(ids) if i is not None and orders[i] != n}
