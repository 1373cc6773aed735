"""The FastAPI app: each package's routes mounted, shared parts on app.state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from audit.routes import router as audit_router
from core.auth.routes import router as auth_router
from core.auth.users_routes import router as users_router
from core.clock import Clock, SystemClock
from core.config import Settings, load_settings
from core.db import Database
from core.errors import install_error_handlers
from core.health import router as health_router
from core.limits import BodySizeLimit
from core.migrate import upgrade
from stations.areas.routes import router as areas_router

# Every router the app mounts; tests walk these for the route table.
ROUTERS = (health_router, auth_router, users_router, areas_router, audit_router)

DESCRIPTION = """
Loaxa schedules what commune radio stations (đài truyền thanh cấp xã) play over their
loudspeaker clusters. Sign in with `POST /api/v1/auth/login`, then send the token as
`Authorization: Bearer <token>`.
"""


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or load_settings()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            upgrade(settings.database_url)
        yield
        database.dispose()

    app = FastAPI(title="Loaxa", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock or SystemClock()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit_for=lambda _path: settings.max_body_bytes)
    for router in ROUTERS:
        app.include_router(router)
    return app
