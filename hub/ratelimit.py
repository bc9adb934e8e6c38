"""Rate limits shared by every hub process, counted in Redis (fixed windows, one Lua script)."""

from __future__ import annotations

from hub import keys
from hub.errors import RateLimited
from hub.scripts import Scripts


class RateLimiter:
    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts

    async def hit(self, scope: str, key: str, limit: int, window_s: float) -> None:
        """Count one attempt; RateLimited once more than ``limit`` happen within the window."""
        wait_ms = await self._scripts.run(
            "rate_limit", [keys.rate_limit(scope, key)], [limit, int(window_s * 1000)]
        )
        if wait_ms:
            seconds = max(1, round(int(wait_ms) / 1000))
            raise RateLimited(f"too many attempts; try again in {seconds} s")
