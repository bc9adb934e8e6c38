"""The domain's error tree. Each error carries a stable ``code`` that clients may rely on.

``detail`` is written for the person on the other end; it never carries internals.
"""

from __future__ import annotations


class HubError(Exception):
    code = "error"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidInput(HubError):
    code = "invalid_request"
    status = 400


class NotFound(HubError):
    code = "not_found"
    status = 404


class Unauthorized(HubError):
    code = "unauthorized"
    status = 401


class Forbidden(HubError):
    code = "forbidden"
    status = 403


class Conflict(HubError):
    code = "conflict"
    status = 409


class RateLimited(HubError):
    code = "rate_limited"
    status = 429


class IllegalTransition(Conflict):
    code = "illegal_transition"
