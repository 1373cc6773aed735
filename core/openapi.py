"""The OpenAPI schema says what the error handlers (core/errors.py) really answer.

FastAPI declares its own `HTTPValidationError` (`detail` a list) for every 422 and nothing
for the other errors. Every error here leaves as `{"detail": "<what to fix>"}`, a 422 also
with `errors` naming each offending field: `declare_errors(app)` makes the generated schema
say so, and declares the error statuses each operation can answer. It also declares each
`datetime.time` as the offset-less local HH:MM[:SS] the API reads and writes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema, models_json_schema

WRITES = frozenset({"post", "put", "patch", "delete"})
# FastAPI's own validation models, unused once every 422 names ErrorBody.
FASTAPI_MODELS = ("HTTPValidationError", "ValidationError")


def _no_default(schema: dict[str, Any]) -> None:
    # Left out when absent: the schema says "not required", not "null".
    schema.pop("default", None)


class FieldError(BaseModel):
    location: str = Field(description="where the field is: body, query, path, header, ...")
    field: str = Field(description="the offending field, dotted for a nested one")
    message: str = Field(description="what is wrong with it")
    # The handlers of a validation refused by the route's own checks leave it out.
    type: str | SkipJsonSchema[None] = Field(
        default=None,
        description="the kind of error, e.g. missing, string_too_short",
        json_schema_extra=_no_default,
    )


class ErrorBody(BaseModel):
    """Every error answer: what to fix, and for invalid requests each offending field."""

    detail: str = Field(description="what went wrong and what to fix, for a person")
    errors: list[FieldError] | SkipJsonSchema[None] = Field(
        default=None, description="each offending field (422 only)", json_schema_extra=_no_default
    )


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
DESCRIPTIONS = {
    "400": "The body cannot be read as its declared content type",
    "401": "Not signed in, or the token is unknown, expired or revoked",
    "403": "The caller may not do this; the detail says why",
    "404": "An object the request names does not exist",
    "409": "The request conflicts with what is stored (a duplicate, an object in use, "
    "a workflow step out of order)",
    "413": "The request body is over the size limit",
    "422": "The request is invalid: `detail` sums it up, `errors` names each offending field",
}


def _statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer besides the ones it declares itself."""
    statuses = []
    secured = bool(operation.get("security"))
    takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
    if secured:
        statuses += ["401", "403"]
    if takes_input:
        statuses += ["404", "422"]
    if method in WRITES:
        statuses.append("409")
    if "requestBody" in operation:
        statuses += ["400", "413"]
    return statuses


def _declare(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, definitions = models_json_schema(
        [(ErrorBody, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components.update(definitions["$defs"])
    _local_times(schema)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(method, operation):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
            for status, response in responses.items():
                if not status.startswith(("4", "5")) or status == "304":
                    continue
                if status == "422":
                    response["description"] = DESCRIPTIONS["422"]
                response["content"] = {"application/json": {"schema": ERROR_REF}}
    for name in FASTAPI_MODELS:
        others = {k: v for k, v in components.items() if k not in FASTAPI_MODELS}
        if f"#/components/schemas/{name}" not in _refs([schema["paths"], others]):
            components.pop(name, None)


# A wall-clock time in the area's zone, as pydantic reads and writes `datetime.time`:
# JSON Schema's "time" format is RFC 3339's full-time, which needs an offset these never have.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "description": "local time in the area's zone, HH:MM or HH:MM:SS",
}


def _local_times(node: Any) -> None:
    """Declare each `time` as the local HH:MM[:SS] it is, not an RFC 3339 full-time."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node["pattern"] = LOCAL_TIME["pattern"]
            node.setdefault("description", LOCAL_TIME["description"])
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def declare_errors(app: FastAPI) -> None:
    """Make `app.openapi()` declare the error bodies and statuses the app really answers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _declare(generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
