from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from hub.routing import Router
from hub.routing.queues import default_queues
from hub.scripts import Scripts
from tests.support.redis import RedisServer


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    await Router(client, Scripts(client), 30).configure(default_queues())
    yield client
    await client.aclose()


@pytest.fixture
async def make_router(redis_server: RedisServer) -> AsyncIterator[Callable[..., Router]]:
    """Routers with their own Redis connections, as separate hub processes have."""
    clients: list[Redis] = []

    def make(offer_timeout_s: float = 30.0) -> Router:
        client = Redis.from_url(redis_server.url, decode_responses=True)
        clients.append(client)
        return Router(client, Scripts(client), offer_timeout_s)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def router(redis: Redis, make_router: Callable[..., Router]) -> Router:
    return make_router()
