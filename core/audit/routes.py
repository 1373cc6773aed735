"""Read the audit trail in scope: GET /api/v1/audit. Nothing edits or deletes it."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import false, or_
from sqlalchemy.orm import Mapped
from sqlmodel import col, select

from core.audit.models import AuditEvent, AuditEventPublic, AuditEventsPublic
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action, in_scope
from core.deps import SessionDep
from core.models import MAX_ID, IsoDateTime
from core.paging import PageDep, paginate

router = APIRouter(prefix="/api/v1/audit", tags=["audit (nhật ký)"])

ReadAccess = Annotated[AccessControl, Depends(Permission(Action.audit_read))]


def _public(event: AuditEvent) -> AuditEventPublic:
    return AuditEventPublic.model_validate(
        event,
        update={"before": json.loads(event.before_json), "after": json.loads(event.after_json)},
    )


@router.get(
    "",
    response_model=AuditEventsPublic,
    summary="Audit events of areas in your scope, newest first",
)
def list_events(
    session: SessionDep,
    access: ReadAccess,
    page: PageDep,
    action: Annotated[str | None, Query(max_length=64, description="e.g. user.create")] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[IsoDateTime | None, Query(description="ISO 8601 with offset")] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="ISO 8601 with offset, excluded")
    ] = None,
) -> AuditEventsPublic:
    prefixes = access.scope_prefixes()
    # Events of no area (the top of the tree) are national: shown to roles held at a root.
    national = any(prefix.count("/") == 2 for prefix in prefixes)
    no_area = col(AuditEvent.area_id).is_(None) if national else false()
    # Scoped by where the object was when the event happened, so history outlives areas.
    area_path: Mapped[str | None] = col(AuditEvent.area_path)
    query = select(AuditEvent).where(or_(in_scope(area_path, prefixes), no_area))
    filters = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "actor_id": actor_id,
    }
    for name, value in filters.items():
        if value is not None:
            query = query.where(getattr(AuditEvent, name) == value)
    if since is not None:
        query = query.where(col(AuditEvent.occurred_at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.occurred_at) < until)
    rows, total = paginate(session, query, page, col(AuditEvent.id).desc())
    return AuditEventsPublic(data=[_public(e) for e in rows], count=total)
