"""The Lua scripts (``hub/lua/*.lua``), read from package files and registered once per client.

Routing scripts share one model (``routing_lib.lua``: its keys and helpers), put in front of each; those
that offer also share the matching (``matching_lib.lua``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from hub import keys

ROUTING = ("enqueue", "position", "match", "accept", "withdraw", "drop", "release", "set_state", "correct_load",
           "promote", "configure")
MATCHING = ("match", "set_state", "enqueue")
NAMES = (*ROUTING, "rate_limit", "compare_delete")


def _read(name: str) -> str:
    return resources.files("hub").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


def source(name: str) -> str:
    libs = ["routing_lib"] if name in ROUTING else []
    if name in MATCHING:
        libs.append("matching_lib")
    text = "\n".join(_read(part) for part in [*libs, name])
    return text.replace("{{PREFIX}}", keys.PREFIX)


class Scripts:
    """Runs a named script with EVALSHA (redis-py loads it again if the server lost it)."""

    def __init__(self, redis: Redis) -> None:
        self._scripts: dict[str, AsyncScript] = {name: redis.register_script(source(name)) for name in NAMES}

    async def run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args)
