"""One error body for every failure, naming the field and the problem.

    {"error": {"status": 422, "code": "invalid_input", "message": "...",
               "fields": [{"field": "body.location.lat", "problem": "..."}],
               "request_id": "..."}}

Domain errors of the lower layers (unknown skill ids, bad events, policy errors) map to
422 with their field; nothing is stored when a request fails, because every write runs in
one transaction that the failure rolls back.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assessment.errors import AssessmentInputError
from matching.policy import InfeasiblePolicyError, PolicyError
from passport.errors import RecordReferenceError
from passport.history import HistoryError

log = logging.getLogger("skillpass.api")

_STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_input", 429: "too_many_requests"}


class ApiError(Exception):
    """Raise from a handler: ``ApiError(404, "no vacancy 'v1'", field="path.vacancy_id")``."""

    def __init__(self, status: int, message: str, *, field: str | None = None, code: str | None = None,
                 headers: dict | None = None):
        self.status, self.message, self.field = status, message, field
        self.code = code or _STATUS_CODES.get(status, "error")
        self.headers = headers
        super().__init__(message)


def not_found(what: str, identifier: str, field: str) -> ApiError:
    return ApiError(404, f"no {what} {identifier!r}", field=field)


def forbidden(message: str = "your role or consent does not allow this") -> ApiError:
    return ApiError(403, message)


def error_body(status: int, code: str, message: str, fields: list[dict] | None, request: Request) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "fields": fields or [],
                      "request_id": getattr(request.state, "request_id", None)}}


def _respond(request, status, code, message, fields=None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(status, code, message, fields, request), status_code=status, headers=headers)


def _location(loc) -> str:
    return ".".join(str(part) for part in loc)


def _pydantic_fields(errors, prefix: str = "") -> list[dict]:
    out = []
    for e in errors:
        where = _location(e.get("loc", ()))
        out.append({"field": f"{prefix}{where}" if where else prefix.rstrip(".") or "body",
                    "problem": e.get("msg", "invalid")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        fields = [{"field": exc.field, "problem": exc.message}] if exc.field else []
        return _respond(request, exc.status, exc.code, exc.message, fields, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError):
        fields = _pydantic_fields(exc.errors())
        message = "; ".join(f"{f['field']}: {f['problem']}" for f in fields[:3])
        return _respond(request, 422, "invalid_input", message, fields)

    @app.exception_handler(ValidationError)
    async def _record_invalid(request: Request, exc: ValidationError):
        fields = _pydantic_fields(exc.errors(), prefix="body.")
        message = "; ".join(f"{f['field']}: {f['problem']}" for f in fields[:3])
        return _respond(request, 422, "invalid_input", message, fields)

    @app.exception_handler(RecordReferenceError)
    async def _reference(request: Request, exc: RecordReferenceError):
        field = f"body.{exc.field}"
        return _respond(request, 422, "invalid_input", f"{field}: {exc.problem}", [{"field": field, "problem": exc.problem}])

    @app.exception_handler(AssessmentInputError)
    async def _assessment(request: Request, exc: AssessmentInputError):
        field = "body.events" + (f"[{exc.event_id}]" if getattr(exc, "event_id", None) else "") + \
            (f".{exc.field}" if getattr(exc, "field", None) else "")
        return _respond(request, 422, "invalid_input", str(exc), [{"field": field, "problem": exc.problem}])

    @app.exception_handler(PolicyError)
    async def _policy(request: Request, exc: PolicyError):
        field = f"body.policy.{exc.field}"
        return _respond(request, 422, "invalid_input", str(exc), [{"field": field, "problem": exc.problem}])

    @app.exception_handler(InfeasiblePolicyError)
    async def _infeasible(request: Request, exc: InfeasiblePolicyError):
        field = f"body.policy.{exc.constraint}"
        return _respond(request, 422, "infeasible_policy", str(exc), [{"field": field, "problem": exc.problem}])

    @app.exception_handler(HistoryError)
    async def _history(request: Request, exc: HistoryError):
        return _respond(request, 409, "conflict", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "error")
        return _respond(request, exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", None)})
        return _respond(request, 500, "internal_error", "an internal error occurred; it has been logged")
