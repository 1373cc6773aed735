"""Approval (Duyệt nội dung): the approver's queue, and every step of the workflow a page
takes (send for approval, approve, return with a reason, archive)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import RedirectResponse, Response

from core.auth.permissions import Action
from core.deps import SessionDep
from core.models import MAX_ID, PathId
from core.paging import Page
from playlists.content import actions, crud
from playlists.content.models import ContentStatus, RejectRequest
from playlists.content.workflow import Step, contributor_ids
from web.choices import area_choices
from web.content_pages import access, done_message, item_context
from web.context import CsrfPageDep, PageDep, PageView
from web.problems import REFUSALS, FormProblems, problems_of, status_of
from web.session import safe_next

router = APIRouter(include_in_schema=False)
QUEUE_LIMIT = 20
STEP_ACTION = {
    Step.submit: Action.content_write,
    Step.approve: Action.content_approve,
    Step.reject: Action.content_approve,
    Step.archive: Action.content_archive,
}
DONE = {
    Step.submit: "submitted",
    Step.approve: "approved",
    Step.reject: "rejected",
    Step.archive: "archived",
}


def _queue_page(
    session: SessionDep,
    view: PageView,
    *,
    offset: int = 0,
    problems: dict[int, FormProblems] | None = None,
    reasons: dict[int, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    principal = view.user.principal
    if not principal.roles_for(Action.content_approve):
        return view.render("review/queue.html", {"approver": False})
    reviewer = access(session, view, Action.content_approve)
    rows, total = crud.list_items(
        session=session,
        prefixes=reviewer.scope_prefixes(),
        page=Page(offset=offset, limit=QUEUE_LIMIT),
        filters=crud.ContentFilter(status=ContentStatus.submitted),
    )
    names = {
        a.id: a.name
        for a in area_choices(session=session, principal=principal, action=Action.content_approve)
    }
    context = {
        "approver": True,
        "items": rows,
        "own": {i.id for i in rows if principal.user_id in contributor_ids(i.contributors)},
        "area_name": names,
        "total": total,
        "offset": offset,
        "limit": QUEUE_LIMIT,
        "query_for": lambda at: f"/approvals?offset={at}",
        "problems": problems or {},
        "reasons": reasons or {},
        "done": done,
    }
    return view.render("review/queue.html", context, status_code=status_code)


@router.get("/approvals")
def approval_queue(
    session: SessionDep,
    view: PageDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    done: Annotated[str, Query(max_length=20)] = "",
    item: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    return _queue_page(session, view, offset=offset, done=done_message(session, view, done, item))


@router.post("/content/{item_id}/review")
def review_step(
    session: SessionDep,
    view: CsrfPageDep,
    item_id: PathId,
    step: Annotated[Step, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """One step of the workflow. A refusal is shown beside the action on the page the
    form came from, the reason typed kept."""
    actor = access(session, view, STEP_ACTION[step])
    try:
        why = RejectRequest(reason=reason).reason if step == Step.reject else None
        item = actions.review(
            session=session, access=actor, item_id=item_id, step=step, now=view.now, reason=why
        )
    except REFUSALS as exc:
        session.rollback()
        problems = problems_of(exc, fields={"reason": "reason"})
        return _refused_here(session, view, item_id, back, problems, reason, status_of(exc))
    target = safe_next(back) if back else f"/content/{item_id}"
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}done={DONE[step]}&item={item.id}", status_code=303)


def _refused_here(
    session: SessionDep,
    view: PageView,
    item_id: int,
    back: str,
    problems: FormProblems,
    reason: str,
    status_code: int,
) -> Response:
    if back.startswith("/approvals"):
        return _queue_page(
            session,
            view,
            problems={item_id: problems},
            reasons={item_id: reason},
            status_code=status_code,
        )
    reader = access(session, view, Action.content_read)
    item = actions.item_in_scope(session=session, access=reader, item_id=item_id)
    context = item_context(session, view, item, reader)
    context.update(problems=_as_review(problems), reason=reason)
    return view.render("content/item.html", context, status_code=status_code)


def _as_review(problems: FormProblems) -> FormProblems:
    """A refusal of the step itself (not of the reason) is shown beside the buttons."""
    if problems.general:
        problems.fields["review"] = problems.fields.pop("_")
    return problems
