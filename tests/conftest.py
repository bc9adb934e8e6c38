from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from hub.ids import new_id
from hub.store.base import Store
from hub.store.sqlite import SQLiteStore
from tests.support.mongo import MongoWireServer
from tests.support.redis import RedisServer

BACKENDS = ["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)]


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with MongoWireServer(tmp_path_factory.mktemp("mongo")) as server:
        yield server.url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
async def fresh_redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A client of the session's Redis, emptied for the test."""
    client = Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


def _make_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    if backend == "sqlite":
        return lambda: SQLiteStore(tmp_path / "hub.sqlite3")
    from hub.store.mongo import MongoStore

    url = request.getfixturevalue("mongo_url")
    db_name = f"t{new_id()}"
    return lambda: MongoStore(url, db_name)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    instance = _make_store(request.param, request, tmp_path)()
    await instance.open()
    yield instance
    await instance.close()


@pytest.fixture(params=BACKENDS)
async def reopenable_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    make = _make_store(request.param, request, tmp_path)
    opened: list[Store] = []

    async def reopen() -> Store:
        instance = make()
        await instance.open()
        opened.append(instance)
        return instance

    yield reopen
    for instance in opened:
        await instance.close()
