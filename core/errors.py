"""Every error leaves as JSON with a `detail` a person can act on."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from core.limits import BodyTooLarge

log = logging.getLogger(__name__)


class Forbidden(Exception):
    """The signed-in user may not do this; the message says what was refused."""


class NotFound(Exception):
    """The object does not exist."""


class Conflict(Exception):
    """The request clashes with what is stored (a duplicate, an object still in use)."""


class Invalid(Exception):
    """The request is well-formed but its values do not make sense together."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _field_of(loc: tuple[Any, ...]) -> tuple[str, str]:
    location = str(loc[0]) if loc else "request"
    rest = [str(part) for part in loc[1:]]
    return location, ".".join(rest) or location


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        location, field = _field_of(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":
            field, message = "body", f"malformed JSON: {error.get('ctx', {}).get('error', message)}"
        elif error.get("type") == "extra_forbidden":
            message = f"unknown field {field!r}"
        errors.append(
            {
                "location": location,
                "field": field,
                "message": message,
                "type": str(error.get("type", "")),
            }
        )
    return errors


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": f"invalid request: {summary}", "errors": errors},
    )


def plain_handler(status_code: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """A handler answering `status_code` with the exception's message as the detail."""

    async def handler(_: Request, exc: Exception) -> JSONResponse:
        content: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, Invalid) and exc.field:
            content["detail"] = f"{exc.field}: {exc}"
            content["errors"] = [{"location": "body", "field": exc.field, "message": str(exc)}]
        return JSONResponse(status_code=status_code, content=content)

    return handler


async def _on_integrity_error(_: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error turned into 409: %s", exc)
    return JSONResponse(
        status_code=status.HTTP_409_CONFLICT,
        content={
            "detail": "the change conflicts with stored data (a duplicate or a missing reference)"
        },
    )


async def _on_unstorable(_: Request, exc: Exception) -> JSONResponse:
    log.info("data error turned into 422: %s", exc)
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": "a value in the request cannot be stored (out of range or malformed)"},
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        # Starlette names the methods of the first route on the path only: Allow names them all.
        allowed = _methods_at(request.app.openapi(), request.url.path)
        if allowed:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return await http_exception_handler(request, exc)


def _methods_at(schema: dict[str, Any], path: str) -> list[str]:
    """The methods the schema documents for a concrete path (HEAD with GET)."""
    # The most literal templates that match: /content/voices, not /content/{item_id}.
    matches: dict[int, set[str]] = {}
    for template, operations in schema.get("paths", {}).items():
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        if re.fullmatch(pattern, path):
            found = matches.setdefault(template.count("{"), set())
            found.update(method.upper() for method in operations)
    methods = matches[min(matches)] if matches else set()
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "internal error; the server log has the details"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Forbidden, plain_handler(status.HTTP_403_FORBIDDEN))
    app.add_exception_handler(NotFound, plain_handler(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(Conflict, plain_handler(status.HTTP_409_CONFLICT))
    app.add_exception_handler(Invalid, plain_handler(status.HTTP_422_UNPROCESSABLE_CONTENT))
    app.add_exception_handler(BodyTooLarge, plain_handler(status.HTTP_413_CONTENT_TOO_LARGE))
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    # Safety nets: validation should catch these first and name the field.
    app.add_exception_handler(DataError, _on_unstorable)
    app.add_exception_handler(OverflowError, _on_unstorable)
    app.add_exception_handler(Exception, _on_unexpected)
