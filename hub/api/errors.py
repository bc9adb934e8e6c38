"""Domain errors and bad requests become JSON problems with a stable ``code``; nothing internal leaks."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from hub.errors import HubError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               429: "rate_limited"}


def problem(status: int, code: str, detail: str) -> Response:
    return Response({"code": code, "detail": detail}, status_code=status, media_type=MediaType.JSON)


def hub_error(_: Request, exc: HubError) -> Response:
    return problem(exc.status, exc.code, exc.detail)


def validation_error(_: Request, exc: ValidationException) -> Response:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = [f"{d.get('key') or 'body'}: {d.get('message')}" for d in details if isinstance(d, dict)]
    return problem(400, "invalid_request", "; ".join(parts) or "the request body is not valid JSON of the "
                   "expected shape")


def http_error(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        return internal_error(_, exc)
    detail = "no such resource" if isinstance(exc, NotFoundException) else (exc.detail or "bad request")
    return problem(status, _HTTP_CODES.get(status, "bad_request"), detail)


def unreadable_body(_: Request, exc: Exception) -> Response:
    """What the JSON decoder raises besides its own error: nesting beyond its depth, bytes that are not UTF-8."""
    log.info("request body refused: %s", type(exc).__name__)
    return problem(400, "invalid_request", "the request body is not valid JSON (not UTF-8, or nested too deeply)")


def internal_error(_: Request, exc: Exception) -> Response:
    log.exception("request failed", exc_info=exc)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")


HANDLERS: dict[Any, Any] = {
    HubError: hub_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    RecursionError: unreadable_body,
    UnicodeDecodeError: unreadable_body,
    Exception: internal_error,
}
