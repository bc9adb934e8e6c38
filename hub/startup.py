"""Why the hub could not start, in one line for whoever runs it, not a traceback: its configuration, the files
and servers it needs. Anything else is a bug, and keeps its traceback for the report."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import redis.exceptions

from hub.redis_server import DirectoryInUse
from hub.settings import SettingsError

# What SQLite says when the files or the disk are the trouble (not a statement: that is a bug).
SQLITE_ENVIRONMENT = ("unable to open", "readonly", "read-only", "disk", "locked", "full", "not a database")
LONGEST = 400  # a server's own account of why it cannot be reached can run long

Message = MutableMapping[str, Any]
Asgi = Callable[..., Awaitable[None]]


def _loaded(module: str, name: str) -> type[BaseException] | None:
    """An exception class of a module only if something loaded that module (else nothing raised it): the LLM
    and MongoDB libraries are loaded only when configured, and cost start-up time."""
    found = sys.modules.get(module)
    return getattr(found, name, None) if found is not None else None


def _optional_reason(exc: BaseException) -> str | None:
    model_unavailable = _loaded("bot.llm", "ModelUnavailable")
    if model_unavailable is not None and isinstance(exc, model_unavailable):
        return str(exc)
    unreachable = _loaded("pymongo.errors", "ServerSelectionTimeoutError")
    if unreachable is not None and isinstance(exc, unreachable):
        return f"cannot reach MongoDB (HUB_MONGO_URL): {exc}"
    mongo = _loaded("pymongo.errors", "PyMongoError")
    if mongo is not None and isinstance(exc, mongo):
        return f"HUB_MONGO_URL: {exc}"
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__
    return False


def reason(exc: BaseException) -> str | None:
    """One line saying what to fix, or None when the failure is not one an operator can fix by configuration."""
    if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        return reason(exc.exceptions[0])
    if isinstance(exc, SettingsError | DirectoryInUse):
        found: str | None = str(exc)
    elif _caused_by(exc, redis.exceptions.AuthenticationError):  # redis-py wraps it in a ConnectionError
        found = f"Redis refused the hub's credentials (HUB_REDIS_URL): {exc}"
    elif isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        found = f"cannot reach Redis (HUB_REDIS_URL): {exc}"
    elif isinstance(exc, ValueError) and "Redis URL" in str(exc):
        found = f"HUB_REDIS_URL: {exc}"
    elif isinstance(exc, OSError):
        found = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    elif isinstance(exc, sqlite3.OperationalError) and any(word in str(exc) for word in SQLITE_ENVIRONMENT):
        found = f"the SQLite database under HUB_DATA_DIR: {exc}"
    else:
        found = _optional_reason(exc)
    return None if found is None else " ".join(found.split())[:LONGEST]


class QuietStartupFailure:
    """Around the ASGI app: when start-up failed for a reason already logged in one line (``reported``), the
    web framework's traceback of it is not logged as well."""

    def __init__(self, app: Asgi, reported: Callable[[], bool]) -> None:
        self._app = app
        self._reported = reported

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return

        async def relay(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and self._reported():
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        await self._app(scope, receive, relay)
