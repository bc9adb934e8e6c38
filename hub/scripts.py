"""The Lua scripts (``hub/lua/*.lua``), read from package files and registered once per client."""

from __future__ import annotations

from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

NAMES = ("enqueue", "match", "accept", "withdraw", "release", "set_state", "correct_load", "rate_limit")


def source(name: str) -> str:
    return resources.files("hub").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


class Scripts:
    """Runs a named script with EVALSHA (redis-py loads it again if the server lost it)."""

    def __init__(self, redis: Redis) -> None:
        self._scripts: dict[str, AsyncScript] = {name: redis.register_script(source(name)) for name in NAMES}

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args)
