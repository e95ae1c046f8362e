"""JSON errors: every error response is `{"detail": "a clear message", ...}`.

Handlers for HTTP errors, request validation (422, with the individual problems under
`errors`), the league core's domain exceptions (upload refusals among them: the core's
`InvalidWeights` carries 413, 415 or 422), and a last-resort 500 that hides internals.
`ERROR_RESPONSES` documents the shared error body in OpenAPI.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("league.api")


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: str = Field(description="what went wrong, in words")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="for validation errors (422): each problem with its location"
    )


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Documented on every route (FastAPI adds 422 itself; its schema is replaced by ErrorBody).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described("Malformed request"),
    404: _described("Not found"),
    409: _described("Conflict with the current state"),
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _described("Missing or invalid bearer token"),
    403: _described("The token's role may not do this"),
}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: _described("The upload is larger than the configured cap"),
    415: _described("The upload is a pickle or zip, not safetensors"),
}


def _json_error(status_code: int, detail: str, headers: dict[str, str] | None = None, **extra: Any):
    body = {"detail": detail, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse(status_code=status_code, content=jsonable_encoder(body), headers=headers)


def describe_validation_error(error: dict[str, Any]) -> str:
    """One line for one pydantic error: `query.n: Input should be less than or equal to 100`."""
    location = ".".join(str(part) for part in error.get("loc", ()))
    return f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid"))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; this path allows {headers['Allow']}"
    return _json_error(exc.status_code, detail, headers=headers or None)


def allowed_methods(request: Request) -> list[str]:
    """The documented methods at the request's path, from the OpenAPI document (ids are digits)."""
    table = getattr(request.app.state, "allowed_methods_table", None)
    if table is None:
        table = [(_path_pattern(path), {method.upper() for method in item if method.upper() in HTTP_METHODS})
                 for path, item in request.app.openapi()["paths"].items()]
        request.app.state.allowed_methods_table = table
    methods: set[str] = set()
    for pattern, path_methods in table:
        if pattern.match(request.url.path):
            methods |= path_methods
    return sorted(methods | ({"HEAD"} if "GET" in methods else set()))


HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}


def _path_pattern(template: str) -> re.Pattern[str]:
    def parameter(match: re.Match[str]) -> str:
        return "[0-9]+" if match.group(1).endswith("_id") else "[^/]+"

    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", parameter, re.escape(template)) + "$")


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    lines = [describe_validation_error(e) for e in problems]
    detail = "invalid request: " + "; ".join(lines[:5]) + (f"; and {len(lines) - 5} more" if len(lines) > 5 else "")
    return _json_error(422, detail, errors=problems)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json_error(500, "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI, domain_error: type[Exception] | None = None) -> None:
    """Register every handler on `app`; `domain_error` is the league core's base exception, whose
    `status_code` (404 not found, 409 conflict, 422 invalid input, 403 forbidden, 413 or 415 for
    refused uploads) is the answer's."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    if domain_error is not None:

        async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
            return _json_error(getattr(exc, "status_code", 400), str(exc) or type(exc).__name__)

        app.add_exception_handler(domain_error, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)


# What the server's limits answer (api.write_gate, api.body_limit, api.read_limit), on every route they guard.
WRITE_LIMIT_RESPONSES: dict[str, str] = {
    "401": "Missing or invalid bearer token (checked before the body is read)",
    "413": "The request body is larger than this route's limit",
    "429": "Too many writes with this token; `Retry-After` says when to try again",
}
READ_LIMIT_RESPONSES: dict[str, str] = {
    "503": "The server is busy with other reads; `Retry-After` says when to try again",
}


def patch_openapi_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the documented 422 body the ErrorBody the handlers actually send, and document the answers
    of the server's limits on every operation they apply to."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "HTTPValidationError" in components:
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        body["title"] = "HTTPValidationError"
        components["HTTPValidationError"] = body
    components.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method.upper() not in HTTP_METHODS:
                continue
            if method.upper() in ("GET", "HEAD"):
                limits = {} if path.startswith("/api/health") else READ_LIMIT_RESPONSES
            else:
                limits = WRITE_LIMIT_RESPONSES
            responses = operation.setdefault("responses", {})
            for status, description in limits.items():
                responses.setdefault(status, {"description": description, "content": reference})
    return schema
