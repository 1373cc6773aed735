"""Operator routes for station agents: enrolment codes, revocation, the as-run log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from core.areas.crud import get_area
from core.auth.deps import AccessControl, Permission
from core.auth.permissions import Action
from core.deps import ClockDep, SessionDep, SettingsDep
from core.models import MAX_ID, IsoDateTime, PathId
from core.paging import PageDep
from stations.crud import get_station
from stations.fleet import asrun, enrolment
from stations.fleet.directory import DirectoryDep
from stations.fleet.models import AsRunPublic, AsRunsPublic, EnrollmentCodePublic
from stations.fleet.push import PushDep
from stations.fleet.revocation import revoke_agent

router = APIRouter(prefix="/api/v1", tags=["stations (cụm loa)"])

Write = Annotated[AccessControl, Depends(Permission(Action.station_write))]
AsRunRead = Annotated[AccessControl, Depends(Permission(Action.asrun_read))]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post(
    "/stations/{station_id}/enrollment-code",
    response_model=EnrollmentCodePublic,
    status_code=status.HTTP_201_CREATED,
    summary="A one-time code (mã đăng ký) to enrol the station's agent; earlier codes stop working",
)
def create_enrollment_code(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    settings: SettingsDep,
    station_id: PathId,
) -> EnrollmentCodePublic:
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    code, row = enrolment.create_code(
        session=session,
        station=station,
        actor=access.actor,
        now=clock.now(),
        ttl=timedelta(hours=settings.enrollment_code_ttl_hours),
    )
    session.commit()
    return EnrollmentCodePublic(station_id=station_id, code=code, expires_at=row.expires_at)


@router.post(
    "/stations/{station_id}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the station's agent: its token is refused from now on (thu hồi)",
)
def revoke_station(
    session: SessionDep,
    access: Write,
    clock: ClockDep,
    push: PushDep,
    directory: DirectoryDep,
    station_id: PathId,
) -> None:
    station = get_station(session=session, station_id=station_id)
    access.require_area(station.area_id, what=f"station #{station_id}")
    revoke_agent(
        session=session,
        station=station,
        actor=access.actor,
        now=clock.now(),
        directory=directory,
        push=push,
    )


@router.get(
    "/asrun",
    response_model=AsRunsPublic,
    summary="What the stations played (nhật ký phát sóng), newest first",
)
def list_asrun(
    session: SessionDep,
    access: AsRunRead,
    page: PageDep,
    station_id: OptionalId = None,
    area_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="This subtree")] = None,
    content_id: OptionalId = None,
    result: Literal["played", "partial", "failed", "preempted", "skipped"] | None = None,
    since: Annotated[
        IsoDateTime | None, Query(alias="from", description="ISO 8601 with offset")
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(alias="to", description="ISO 8601 with offset, excluded")
    ] = None,
) -> AsRunsPublic:
    area_path = get_area(session=session, area_id=area_id).path if area_id else None
    rows, total = asrun.list_records(
        session=session,
        prefixes=access.scope_prefixes(),
        page=page,
        station_id=station_id,
        area_path=area_path,
        content_id=content_id,
        result=result,
        since=since,
        until=until,
    )
    return AsRunsPublic(data=[AsRunPublic.model_validate(r) for r in rows], count=total)
