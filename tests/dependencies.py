"""What a route depends on, walked through FastAPI's dependency tree."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.routing import APIRoute


def depends_on(route: APIRoute, wanted: Callable[[object], bool]) -> object | None:
    """The first dependency of the route (at any depth) that `wanted` accepts."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if wanted(dependant.call):
            return dependant.call
        pending.extend(dependant.dependencies)
    return None
