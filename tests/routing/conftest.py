from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot import Bot
from hub.bus import Bus
from hub.pipeline import Pipeline
from hub.presence import Presence
from hub.routing import Router
from hub.routing.queues import default_queues
from hub.scripts import Scripts
from hub.settings import Settings
from hub.store.sqlite import SQLiteStore
from tests.support.redis import RedisServer


@pytest.fixture
async def redis(fresh_redis: Redis) -> Redis:
    await Router(fresh_redis, Scripts(fresh_redis), 30).configure(default_queues())
    return fresh_redis


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


@pytest.fixture
async def pipeline_with(tmp_path: Path, redis: Redis) -> AsyncIterator[Callable[[Bot], Awaitable[Pipeline]]]:
    """Pipelines on a real SQLite store and the test's Redis, each with the bot given."""
    opened: list[tuple[Bus, SQLiteStore]] = []

    async def make(bot: Bot) -> Pipeline:
        store = SQLiteStore(tmp_path / "hub.sqlite3")
        await store.open()
        bus = Bus(redis)
        await bus.start()
        opened.append((bus, store))
        router = Router(redis, Scripts(redis), 30)
        return Pipeline(Settings(data_dir=tmp_path), store, router, bus, bot, Presence(redis, 30))

    yield make
    for bus, store in opened:
        await bus.stop()
        await store.close()
