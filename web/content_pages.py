"""The content library's pages (Thư viện nội dung): the list with the API's filters, an
item with its versions, history and audio, and the relay check that follows it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response

from audio.container import audio_mime
from core.areas.crud import get_area
from core.auth.deps import AccessControl
from core.auth.permissions import Action
from core.auth.users import get_user
from core.deps import SessionDep
from core.models import MAX_ID, PathId
from core.paging import Page
from playlists.content import actions, crud
from playlists.content.history import lineage_history
from playlists.content.models import ContentItem, ContentKind, ContentStatus, RelayCheck, Tier
from playlists.content.services import ContentServicesDep
from playlists.content.workflow import contributor_ids
from web.choices import area_choices
from web.context import PageDep, PageView
from web.i18n import gettext as _
from web.labels import choices
from web.problems import FormProblems

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 25
VERSIONS_SHOWN = 50
E = TypeVar("E", bound=StrEnum)


def access(session: SessionDep, view: PageView, action: Action) -> AccessControl:
    return view.access(session, action)


def _member(enum: type[E], value: str | None) -> E | None:
    """A filter's value, or no filter for an empty or unknown one (a stale bookmark)."""
    try:
        return enum(value) if value else None
    except ValueError:
        return None


@router.get("/content")
def library(
    session: SessionDep,
    view: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    tier: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=35)] = "",
    area_id: Annotated[str, Query(max_length=12)] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    area = int(area_id) if area_id.isdigit() and 0 < int(area_id) <= MAX_ID else None
    reader = access(session, view, Action.content_read)
    filters = crud.ContentFilter(
        q=q.strip() or None,
        status=_member(ContentStatus, status),
        kind=_member(ContentKind, kind),
        tier=_member(Tier, tier),
        language=language.strip() or None,
        area_id=area,
    )
    rows, total = crud.list_items(
        session=session,
        prefixes=reader.scope_prefixes(),
        page=Page(offset=offset, limit=LIST_LIMIT),
        filters=filters,
    )
    chosen = {
        "q": q,
        "status": status,
        "kind": kind,
        "tier": tier,
        "language": language,
        "area_id": area or "",
    }
    areas = area_choices(session=session, principal=view.user.principal, action=Action.content_read)
    context = {
        "items": rows,
        "total": total,
        "offset": offset,
        "limit": LIST_LIMIT,
        "chosen": chosen,
        "query_for": lambda at: "/content?" + urlencode({**chosen, "offset": at}),
        "areas": areas,
        "area_name": {a.id: a.name for a in areas},
        "area_options": [(a.id, a.indented) for a in areas],
        "statuses": choices(ContentStatus),
        "kinds": choices(ContentKind),
        "tiers": choices(Tier),
        "can_write": bool(view.user.principal.roles_for(Action.content_write)),
    }
    template = "content/_results.html" if view.is_fragment else "content/library.html"
    return view.render(template, context, headers={"Vary": "HX-Request, Accept-Encoding"})


def done_message(session: SessionDep, view: PageView, done: str, item_id: int | None) -> str | None:
    """What the last step did, named by the item's own title (read in scope)."""
    if not done or item_id is None:
        return None
    reader = access(session, view, Action.content_read)
    title = actions.item_in_scope(session=session, access=reader, item_id=item_id).title
    messages = {
        "created": _("“%(title)s” is saved as a draft. Listen to it, then send it for approval."),
        "submitted": _("“%(title)s” was sent for approval."),
        "approved": _("“%(title)s” is approved: it can now be queued into a session."),
        "rejected": _("“%(title)s” was returned to its author with your reason."),
        "archived": _("“%(title)s” is archived: it is no longer scheduled."),
    }
    shown = messages.get(done)
    return shown % {"title": title} if shown else None


def item_context(
    session: SessionDep, view: PageView, item: ContentItem, reader: AccessControl
) -> dict[str, object]:
    """What the item page shows; the approval page's refusals re-render it too."""
    principal = view.user.principal
    versions, _ = crud.list_items(
        session=session,
        prefixes=reader.scope_prefixes(),
        page=Page(offset=0, limit=VERSIONS_SHOWN),
        filters=crud.ContentFilter(lineage_id=item.lineage_id),
    )
    area = get_area(session=session, area_id=item.area_id)
    path = area.path
    own = principal.user_id in contributor_ids(item.contributors)
    reviewer = get_user(session=session, user_id=item.reviewed_by) if item.reviewed_by else None
    return {
        "item": item,
        "area_name": area.name,
        "creator": get_user(session=session, user_id=item.created_by).username,
        "reviewer": reviewer.username if reviewer else None,
        "versions": versions,
        "history": lineage_history(session=session, lineage_id=item.lineage_id),
        "show_changes": principal.can(Action.audit_read, path),
        "can_write": principal.can(Action.content_write, path),
        "can_approve": principal.can(Action.content_approve, path),
        "can_archive": principal.can(Action.content_archive, path),
        "own": own,
        "problems": FormProblems(),
    }


@router.get("/content/{item_id}")
def item_page(
    session: SessionDep,
    view: PageDep,
    item_id: PathId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    reader = access(session, view, Action.content_read)
    item = actions.item_in_scope(session=session, access=reader, item_id=item_id)
    context = item_context(session, view, item, reader)
    if done:
        context["done"] = done_message(session, view, done, item_id)
    return view.render("content/item.html", context)


@router.get("/content/{item_id}/audio")
def item_audio(
    session: SessionDep, view: PageDep, services: ContentServicesDep, item_id: PathId
) -> FileResponse:
    """The same file as the API's audio route, for the page's player (Range honoured)."""
    reader = access(session, view, Action.content_read)
    item = actions.item_in_scope(session=session, access=reader, item_id=item_id)
    path = actions.audio_path(services=services, item=item)
    return FileResponse(
        path,
        media_type=audio_mime(path),
        headers={"ETag": f'"{item.sha256}"', "Cache-Control": "private, max-age=86400"},
    )


@router.get("/content/{item_id}/relay-check")
def relay_check(session: SessionDep, view: PageDep, item_id: PathId) -> Response:
    """The check's result; the fragment asks again while the check is pending."""
    reader = access(session, view, Action.content_read)
    item = actions.item_in_scope(session=session, access=reader, item_id=item_id)
    return view.render("content/_relay_check.html", {"item": item, "pending": RelayCheck.pending})
