"""The live knowledge base as the bot and the agents search it.

Built from the published versions the store says are live: every question of a version (canonical and
similar) is one entry, after the synonym dictionary. Validity windows are checked at search time, so an
answer starts and stops at its boundary without a rebuild. Embeddings come from a cache keyed by the
entry's text, so a publish embeds only the questions that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from hub.models import Channel, utcnow
from kb.articles import ArticleVersion
from kb.embedder import Embedder
from kb.hybrid import Entry, Hit, HybridIndex, confidence
from kb.synonyms import Synonyms
from kb.vectorcache import VectorCache
from kb.vectors import EXACT_LIMIT

SEARCH_DEPTH = 20  # hits looked at before validity filtering


@dataclass(frozen=True, slots=True)
class Suggestion:
    article_id: str
    version: int
    title: str
    answer: str  # the channel's variant when there is one
    score: float
    matched: str  # the question that matched best

    @property
    def ref(self) -> str:
        return f"{self.article_id}@{self.version}"


@dataclass(frozen=True, slots=True)
class Found:
    suggestions: list[Suggestion]
    confidence: float  # see kb.hybrid.confidence; -inf when nothing matched

    def answers(self, threshold: float) -> bool:
        """The bot's answer-or-hand-off decision, the same in production and in kb.eval."""
        return bool(self.suggestions) and self.confidence >= threshold

    @property
    def best(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None


class Retriever:
    def __init__(self, embedder: Embedder | None, versions: Sequence[ArticleVersion],
                 synonyms: Synonyms | None = None, cache: VectorCache | None = None,
                 exact_limit: int = EXACT_LIMIT) -> None:
        """``embedder`` may be None for an empty KB, which never embeds anything."""
        self._embedder = embedder
        self.synonyms = synonyms or Synonyms()
        self.versions = {v.article_id: v for v in versions}
        entries = [Entry(v.article_id, self.synonyms.apply(text)) for v in versions for text in v.content.questions()]
        self._index: HybridIndex | None = None
        if entries:
            if embedder is None:
                raise ValueError("a KB with articles needs an embedder")
            cache = cache or VectorCache(embedder)
            vectors = cache.vectors([e.text for e in entries])
            self._index = HybridIndex(embedder, entries, exact_limit, vectors=vectors)

    @property
    def size(self) -> int:
        return len(self.versions)

    @property
    def index_kind(self) -> str:
        return self._index.index_kind if self._index is not None else "empty"

    def search(self, text: str, channel: Channel | None = None, now: datetime | None = None, k: int = 5) -> Found:
        query = self.query_of(text)
        if self._index is None or self._embedder is None or query is None:
            return Found([], float("-inf"))
        return self.search_vector(query, self._embedder.encode_one(query), channel, now, k)

    def query_of(self, text: str) -> str | None:
        """What is searched for ``text`` (its synonyms made canonical), or None when there is nothing to search."""
        return self.synonyms.apply(text) if self._index is not None and text.strip() else None

    def search_vector(self, query: str, vector: np.ndarray, channel: Channel | None = None,
                      now: datetime | None = None, k: int = 5) -> Found:
        if self._index is None:
            return Found([], float("-inf"))
        moment = now or utcnow()
        hits = [hit for hit in self._index.search_vector(query, vector, SEARCH_DEPTH)
                if self.versions[hit.article_id].content.valid_at(moment)][:k]
        return Found([self._suggestion(hit, channel) for hit in hits], confidence(hits))

    def _suggestion(self, hit: Hit, channel: Channel | None) -> Suggestion:
        version = self.versions[hit.article_id]
        return Suggestion(article_id=hit.article_id, version=version.version, title=version.content.title,
                          answer=version.content.answer_for(channel), score=hit.score, matched=hit.matched)
