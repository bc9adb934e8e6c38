"""Hybrid retrieval over a set of questions: vectors, BM25 and a classifier, fused.

Every question of an article (its canonical question and each similar question) is one entry. A query
is embedded and matched against the entries' vectors (faiss) and scored by BM25 over their words; each
article keeps its best entry on each side, and the two are fused, so a Chinese KB answers well even
when the embedding model only knows English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb.classifier import WEIGHT as CLASSIFIER_WEIGHT
from kb.classifier import ArticleClassifier
from kb.embedder import Embedder
from kb.lexical import BM25
from kb.vectors import EXACT_LIMIT, VectorIndex

LEXICAL_WEIGHT = 0.35  # how much a full lexical match adds to a cosine similarity in [-1, 1]
LEXICAL_HALF = 6.0  # the BM25 score that counts as half a full lexical match
VECTOR_CANDIDATES = 64
LEXICAL_CANDIDATES = 64


@dataclass(frozen=True, slots=True)
class Entry:
    article_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    article_id: str
    score: float
    vector: float
    lexical: float
    matched: str


def confidence(hits: list[Hit]) -> float:
    """How sure the top answer is: its score, plus its lead over the runner-up. The bot's answer-or-hand-off
    threshold is on this value, calibrated on training data (see kb.eval)."""
    if not hits:
        return float("-inf")
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score + (hits[0].score - runner_up)


class HybridIndex:
    def __init__(self, embedder: Embedder, entries: Sequence[Entry], exact_limit: int = EXACT_LIMIT,
                 vectors: np.ndarray | None = None) -> None:
        """``vectors`` are the entries' embeddings when the caller has them already (one row per entry)."""
        if not entries:
            raise ValueError("a retriever needs at least one entry")
        self._embedder = embedder
        self._entries = list(entries)
        if vectors is None:
            vectors = embedder.encode([e.text for e in self._entries])
        self._vectors = VectorIndex(vectors, exact_limit)
        self._lexical = BM25([e.text for e in self._entries])
        self._classifier = ArticleClassifier(vectors, [e.article_id for e in self._entries])

    @property
    def index_kind(self) -> str:
        return self._vectors.kind

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return self.search_vector(query, self._embedder.encode_one(query), k)

    def search_vector(self, query: str, vector: np.ndarray, k: int = 5) -> list[Hit]:
        best_vector: dict[str, tuple[float, int]] = {}
        similarities, positions = self._vectors.search(vector[None, :], VECTOR_CANDIDATES)
        for similarity, position in zip(similarities[0], positions[0], strict=True):
            if position < 0:
                continue
            article_id = self._entries[position].article_id
            if article_id not in best_vector:
                best_vector[article_id] = (float(similarity), int(position))
        best_lexical: dict[str, tuple[float, int]] = {}
        for position, score in self._lexical.scores(query, limit=LEXICAL_CANDIDATES).items():
            article_id = self._entries[position].article_id
            if score > best_lexical.get(article_id, (0.0, -1))[0]:
                best_lexical[article_id] = (score, position)
        likely = self._classifier.probabilities(vector)
        articles = best_vector.keys() | best_lexical.keys()
        hits = [self._fuse(a, best_vector.get(a), best_lexical.get(a), likely.get(a, 0.0)) for a in articles]
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:k]

    def _fuse(self, article_id: str, vector: tuple[float, int] | None, lexical: tuple[float, int] | None,
              probability: float) -> Hit:
        similarity = vector[0] if vector else 0.0
        bm25 = lexical[0] if lexical else 0.0
        matched = self._entries[(vector or lexical or (0.0, 0))[1]].text
        lexical_part = bm25 / (bm25 + LEXICAL_HALF)
        score = similarity + LEXICAL_WEIGHT * lexical_part + CLASSIFIER_WEIGHT * probability
        return Hit(article_id, score, similarity, lexical_part, matched)
