"""Request-scoped access to the runtime and the signed-in user."""

from __future__ import annotations

from collections.abc import Collection

from litestar.connection import ASGIConnection

from hub.errors import Forbidden, NotFound, Unauthorized
from hub.models import User, UserRole
from hub.runtime import Runtime

ADMINS = frozenset({UserRole.ADMIN})


def runtime_of(connection: ASGIConnection) -> Runtime:
    return connection.app.state.runtime


async def user_from_token(runtime: Runtime, token: str | None) -> User:
    if not token:
        raise Unauthorized("sign in first")
    user_id = runtime.tokens.verify(token)
    try:
        return await runtime.store.get_user(user_id)
    except NotFound:
        raise Unauthorized("invalid token") from None


async def current_user(request: ASGIConnection) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return await user_from_token(runtime_of(request), token if scheme.lower() == "bearer" else None)


def require(user: User, roles: Collection[UserRole], why: str) -> None:
    """403 ``role_forbidden`` unless the user has one of ``roles``; ``why`` says who may ("only admins ...")."""
    if user.role not in roles:
        raise Forbidden(why, code="role_forbidden")
