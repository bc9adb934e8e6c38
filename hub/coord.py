"""The Redis connection for coordination: the configured server, or a private embedded one."""

from __future__ import annotations

import asyncio

from redis.asyncio import BlockingConnectionPool, Redis

from hub.redis_server import EmbeddedRedis
from hub.settings import Settings

# Bounds the Redis connections of one process: a request waits for a free one rather than failing.
MAX_CONNECTIONS = 64


class Coordination:
    """Owns the Redis client (and the embedded server when no HUB_REDIS_URL is set)."""

    def __init__(self, settings: Settings) -> None:
        self._embedded = None if settings.redis_url else EmbeddedRedis(settings.data_dir / "redis")
        self._url = settings.redis_url
        self.redis: Redis | None = None

    @property
    def embedded(self) -> bool:
        """Redis is this process's own server, which no other process can reach."""
        return self._embedded is not None

    async def start(self) -> Redis:
        if self._embedded is not None:
            self._embedded.start()
            self._url = self._embedded.url
        assert self._url is not None
        pool = BlockingConnectionPool.from_url(
            self._url, max_connections=MAX_CONNECTIONS, timeout=10, decode_responses=True, health_check_interval=30
        )
        self.redis = Redis(connection_pool=pool)
        await self.redis.ping()
        return self.redis

    async def revive(self) -> bool:
        """The embedded server, started again if it died; True if it had to be."""
        if self._embedded is None:
            return False
        return await asyncio.to_thread(self._embedded.revive)

    async def stop(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None
        if self._embedded is not None:
            self._embedded.stop()
