"""Request-scoped access to the runtime and the signed-in user."""

from __future__ import annotations

from litestar.connection import ASGIConnection

from hub.errors import NotFound, Unauthorized
from hub.models import User
from hub.runtime import Runtime


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
