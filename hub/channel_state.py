"""What push connectors share between hub processes, in Redis: API access tokens (fetched by one process
for all) and the vendor callbacks already taken (a retry is never handled twice)."""

from __future__ import annotations

from typing import Any

from hub import keys
from hub.ids import new_id
from hub.scripts import Scripts

PENDING = ""  # a callback taken, its reply not known yet


class RedisTokenCache:
    """connectors.wechat.client.TokenCache on Redis: one token per account for every process, and a lock
    only its owner releases."""

    def __init__(self, redis: Any, scripts: Scripts, channel: str) -> None:
        self._redis = redis
        self._scripts = scripts
        self._channel = channel
        self._owner = new_id()

    async def get(self, appid: str) -> str | None:
        return await self._redis.get(keys.api_token(self._channel, appid))

    async def put(self, appid: str, token: str, ttl_s: float) -> None:
        await self._redis.set(keys.api_token(self._channel, appid), token, px=max(1, int(ttl_s * 1000)))

    async def lock(self, appid: str, ttl_s: float) -> bool:
        key = keys.api_token_lock(self._channel, appid)
        return bool(await self._redis.set(key, self._owner, nx=True, px=max(1, int(ttl_s * 1000))))

    async def unlock(self, appid: str) -> None:
        await self._scripts.run("compare_delete", [keys.api_token_lock(self._channel, appid)], [self._owner])

    async def invalidate(self, appid: str, token: str) -> None:
        await self._scripts.run("compare_delete", [keys.api_token(self._channel, appid)], [token])


class RedisCallbackLedger:
    """connectors.wechat.connector.CallbackLedger on Redis: SET NX claims a callback for one handler."""

    def __init__(self, redis: Any, channel: str) -> None:
        self._redis = redis
        self._channel = channel

    async def claim(self, key: str, ttl_s: float) -> str | None:
        """None: it is ours to handle. Else what the first handler left: its reply, or PENDING."""
        full = keys.callback_seen(self._channel, key)
        if await self._redis.set(full, PENDING, nx=True, px=int(ttl_s * 1000)):
            return None
        seen = await self._redis.get(full)
        return PENDING if seen is None else seen

    async def settle(self, key: str, reply: str, ttl_s: float) -> None:
        await self._redis.set(keys.callback_seen(self._channel, key), reply, xx=True, px=int(ttl_s * 1000))

    async def release(self, key: str) -> None:
        """Handling failed before anything was stored: a retry may take it."""
        await self._redis.delete(keys.callback_seen(self._channel, key))
