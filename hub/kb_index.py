"""The live knowledge index of one hub process: what the bot and agents search.

Rebuilt off the event loop whenever the live KB changes: a publish in this process rebuilds at once, and
bumps a generation counter in Redis that every other process checks on its sweep. Embeddings are cached by
text and persisted under ``HUB_DATA_DIR/kb``, so a start or a publish embeds only new questions. The
embedding model is loaded only once there is something published to index.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from hub import keys
from hub.models import Channel
from hub.settings import Settings
from hub.store import Store
from kb.articles import ArticleVersion
from kb.batching import QueryBatcher
from kb.retriever import Found, Retriever
from kb.synonyms import Synonyms

if TYPE_CHECKING:
    from kb.embedder import Embedder
    from kb.vectorcache import VectorCache

log = logging.getLogger(__name__)


def fingerprint(versions: list[ArticleVersion], groups: list[list[str]]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for version in sorted(versions, key=lambda v: v.article_id):
        digest.update(f"{version.ref}|{version.published_at.isoformat()}\n".encode())
    digest.update(repr(groups).encode())
    return digest.hexdigest()


class LiveKnowledge:
    def __init__(self, settings: Settings, store: Store, redis: Redis) -> None:
        self._settings = settings
        self._store = store
        self._redis = redis
        self._retriever: Retriever | None = None
        self._fingerprint: str | None = None
        self._generation: bytes | str | None = None
        self._lock = asyncio.Lock()
        self._embedder: Embedder | None = None
        self._batcher: QueryBatcher | None = None
        self._cache: VectorCache | None = None

    @property
    def retriever(self) -> Retriever | None:
        return self._retriever

    @property
    def size(self) -> int:
        return self._retriever.size if self._retriever is not None else 0

    async def search(self, text: str, channel: Channel | None = None, k: int = 5) -> Found:
        """Concurrent searches share their query embeddings' forward passes (kb.batching)."""
        retriever, batcher = self._retriever, self._batcher
        query = retriever.query_of(text) if retriever is not None and retriever.size else None
        if retriever is None or batcher is None or query is None:
            return Found([], float("-inf"))
        vector = await batcher.encode(query)
        return await asyncio.to_thread(retriever.search_vector, query, vector, channel, None, k)

    async def changed(self) -> None:
        """This process changed the live KB: rebuild now, and tell the other processes."""
        await self._redis.incr(keys.KB_GENERATION)
        await self.refresh()

    async def check(self) -> None:
        """On every sweep: rebuild if another process changed the live KB."""
        generation = await self._redis.get(keys.KB_GENERATION)
        if generation != self._generation:
            await self.refresh(generation)

    async def refresh(self, generation: bytes | str | None = None) -> None:
        async with self._lock:
            if generation is None:
                generation = await self._redis.get(keys.KB_GENERATION)
            versions = await self._store.knowledge.live_versions()
            groups = await self._store.knowledge.get_synonyms()
            mark = fingerprint(versions, groups)
            if mark != self._fingerprint:
                self._retriever = await asyncio.to_thread(self._build, versions, groups)
                self._fingerprint = mark
                log.info("knowledge index: %d live articles (%s)", self._retriever.size, self._retriever.index_kind)
            self._generation = generation

    def _build(self, versions: list[ArticleVersion], groups: list[list[str]]) -> Retriever:
        if not versions:
            return Retriever(None, [])
        if self._embedder is None:  # loaded on first need: a hub with no published article never loads it
            from kb.embedder import Embedder
            from kb.vectorcache import VectorCache

            self._embedder = Embedder(self._settings.kb_model_dir)
            self._batcher = QueryBatcher(self._embedder.encode_queries)
            self._cache = VectorCache(self._embedder, self.cache_path)
        synonyms = Synonyms(groups)
        retriever = Retriever(self._embedder, versions, synonyms, self._cache, self._settings.kb_exact_limit)
        assert self._cache is not None
        self._cache.keep_only([synonyms.apply(q) for v in versions for q in v.content.questions()])
        self._cache.save()
        return retriever

    @property
    def cache(self) -> VectorCache | None:
        return self._cache

    @property
    def cache_path(self) -> Path:
        return self._settings.data_dir / "kb" / "vectors.npz"

