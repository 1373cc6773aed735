"""Areas under /api/v1/areas: read in scope; written by admins of the parent area."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from core.areas import crud
from core.areas.models import AreaCreate, AreaPublic, AreasPublic, AreaUpdate
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep
from core.models import MAX_ID, PathId
from core.paging import PageDep

router = APIRouter(prefix="/api/v1/areas", tags=["areas (địa bàn)"])

ReadAccess = Annotated[AccessControl, Depends(Permission(Action.area_read))]
WriteAccess = Annotated[AccessControl, Depends(Permission(Action.area_write))]


@router.get("", response_model=AreasPublic, summary="List areas in your scope")
def list_areas(
    session: SessionDep,
    access: ReadAccess,
    page: PageDep,
    parent_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only children of this area")
    ] = None,
    level: Annotated[str | None, Query(max_length=40, description="e.g. province, commune")] = None,
) -> AreasPublic:
    rows, total = crud.list_areas(
        session=session,
        prefixes=access.scope_prefixes(),
        page=page,
        parent_id=parent_id,
        level=level,
    )
    return AreasPublic(data=[AreaPublic.model_validate(a) for a in rows], count=total)


@router.post(
    "",
    response_model=AreaPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Create an area under a parent you administer",
)
def create_area(
    session: SessionDep, access: WriteAccess, clock: ClockDep, area_in: AreaCreate
) -> AreaPublic:
    access.require_area(area_in.parent_id, what="a new area", field="parent_id")
    area = crud.create_area(session=session, area_in=area_in, actor=access.actor, now=clock.now())
    session.commit()
    return AreaPublic.model_validate(area)


@router.get("/{area_id}", response_model=AreaPublic, summary="Read one area")
def read_area(session: SessionDep, access: ReadAccess, area_id: PathId) -> AreaPublic:
    area = crud.get_area(session=session, area_id=area_id)
    access.require_area(area.id, what=f"area #{area_id}")
    return AreaPublic.model_validate(area)


@router.patch(
    "/{area_id}",
    response_model=AreaPublic,
    summary="Change an area (admins of its parent); parent_id moves its subtree",
)
def update_area(
    session: SessionDep, access: WriteAccess, clock: ClockDep, area_id: PathId, area_in: AreaUpdate
) -> AreaPublic:
    area = crud.get_area(session=session, area_id=area_id)
    access.require_area(area.parent_id, what=f"area #{area_id}")
    if "parent_id" in area_in.model_fields_set and area_in.parent_id != area.parent_id:
        access.require_area(area_in.parent_id, what=f"moving area #{area_id}", field="parent_id")
    area = crud.update_area(
        session=session, area=area, area_in=area_in, actor=access.actor, now=clock.now()
    )
    session.commit()
    return AreaPublic.model_validate(area)


@router.delete(
    "/{area_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty area (admins of its parent)",
)
def delete_area(session: SessionDep, access: WriteAccess, clock: ClockDep, area_id: PathId) -> None:
    area = crud.get_area(session=session, area_id=area_id)
    access.require_area(area.parent_id, what=f"area #{area_id}")
    crud.delete_area(session=session, area=area, actor=access.actor, now=clock.now())
    session.commit()
