"""The live index across hub processes: a publish reaches every process; a restart embeds nothing again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from redis.asyncio import Redis

from hub import keys
from hub.kb_index import LiveKnowledge
from hub.library import Library
from hub.models import User, UserRole, utcnow
from hub.settings import Settings
from hub.store.sqlite import SQLiteStore
from kb.articles import Action, Article, ArticleContent
from tests.support.redis import RedisServer

REVIEWER = User(id="r1", username="rev", password_hash="", role=UserRole.REVIEWER, created_at=utcnow())
PARKING = ArticleContent(title="Parking", question="Where can I park at the airport?",
                         answer="Car park P2, next to terminal 2.", similar=["airport parking", "停车场在哪"])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    instance = SQLiteStore(tmp_path / "hub.sqlite3")
    await instance.open()
    yield instance
    await instance.close()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


def live(tmp_path: Path, store: SQLiteStore, redis: Redis) -> LiveKnowledge:
    return LiveKnowledge(Settings(data_dir=tmp_path), store, redis)


async def publish_parking(library: Library) -> Article:
    article = await library.create(REVIEWER, PARKING)
    article = await library.transition(REVIEWER, article.id, Action.SUBMIT, article.revision)
    return await library.publish(REVIEWER, article.id, article.revision)


async def test_a_publish_in_one_process_reaches_the_others(tmp_path: Path, store: SQLiteStore, redis: Redis) -> None:
    first, second = live(tmp_path / "a", store, redis), live(tmp_path / "b", store, redis)
    for process in (first, second):
        await process.refresh()
    assert second.size == 0 and second.cache is None  # nothing published: no model loaded at all
    library = Library(store, first)
    article = await publish_parking(library)
    assert (await first.search("where do I park")).best.article_id == article.id
    await second.check()  # its periodic sweep
    assert (await second.search("停车场在哪里")).best.article_id == article.id
    await library.transition(REVIEWER, article.id, Action.ARCHIVE, article.revision)
    await second.check()
    assert not (await second.search("where do I park")).suggestions


async def test_a_restart_reads_the_embeddings_back_and_embeds_nothing(tmp_path: Path, store: SQLiteStore,
                                                                     redis: Redis) -> None:
    before = live(tmp_path, store, redis)
    library = Library(store, before)
    article = await publish_parking(library)
    assert before.cache is not None and before.cache.embedded == 3 and before.cache_path.exists()

    after = live(tmp_path, store, redis)  # a new process on the same data directory
    await after.refresh()
    assert after.cache is not None and after.cache.loaded == 3 and after.cache.embedded == 0
    assert (await after.search("airport parking")).best.article_id == article.id


async def test_a_damaged_cache_file_is_rebuilt_from_the_store(tmp_path: Path, store: SQLiteStore,
                                                            redis: Redis) -> None:
    first = live(tmp_path, store, redis)
    library = Library(store, first)
    article = await publish_parking(library)
    first.cache_path.write_bytes(b"not a numpy file")
    again = live(tmp_path, store, redis)
    await again.refresh()
    assert again.cache is not None and again.cache.loaded == 0 and again.cache.embedded == 3
    assert (await again.search("airport parking")).best.article_id == article.id


async def test_two_reviewers_publishing_at_once_never_write_the_same_version(tmp_path: Path, store: SQLiteStore,
                                                                             redis: Redis) -> None:
    library = Library(store, live(tmp_path, store, redis))
    article = await library.create(REVIEWER, PARKING)
    article = await library.transition(REVIEWER, article.id, Action.SUBMIT, article.revision)
    results = await asyncio.gather(library.publish(REVIEWER, article.id, article.revision),
                                   library.rollback(REVIEWER, article.id, 1, article.revision),
                                   return_exceptions=True)
    assert sum(isinstance(r, Article) for r in results) == 1
    assert all(isinstance(r, Article) or getattr(r, "code", None) in ("stale_revision", "not_found")
               for r in results)
    published = await library.get(article.id)
    assert published.published_version == 1 and [v.version for v in await library.versions(article.id)] == [1]


async def test_a_bulk_publish_rebuilds_the_index_once(tmp_path: Path, store: SQLiteStore, redis: Redis) -> None:
    library = Library(store, live(tmp_path, store, redis))
    ids = []
    for n in range(3):
        created = await library.create(REVIEWER, msgspec.structs.replace(PARKING, title=f"Parking {n}"))
        ids.append((await library.transition(REVIEWER, created.id, Action.SUBMIT, created.revision)).id)
    before = int(await redis.get(keys.KB_GENERATION) or 0)
    results = await library.bulk(REVIEWER, "publish", ids)
    assert all(r.ok for r in results)
    assert int(await redis.get(keys.KB_GENERATION)) == before + 1


async def test_a_truncated_cache_file_does_not_stop_a_start(tmp_path: Path, store: SQLiteStore, redis: Redis) -> None:
    first = live(tmp_path, store, redis)
    await publish_parking(Library(store, first))
    first.cache_path.write_bytes(b"PK\x03\x04 truncated zip")
    again = live(tmp_path, store, redis)
    await again.refresh()
    assert again.cache is not None and again.cache.embedded == 3
