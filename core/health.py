"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from core.deps import DatabaseDep

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The database answers", responses={503: {"description": "not ready"}}
)
def readyz(database: DatabaseDep) -> JSONResponse:
    try:
        database.ping()
    except SQLAlchemyError as exc:
        log.warning("readiness check failed: %s", exc)
        return JSONResponse(
            status_code=503, content={"status": "unavailable", "detail": "database unreachable"}
        )
    return JSONResponse(content={"status": "ok", "database": database.engine.dialect.name})
