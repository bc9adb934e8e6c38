"""BM25 (Okapi) over the KB's questions: the retrieval that works for any language jieba can cut.

Each question's BM25 weight for each of its words is computed once, at build time, into a sparse
matrix; a query then sums the columns of its words, so a query costs microseconds even when its words
(my, card, 的) appear in thousands of questions.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from kb.text import tokens


class BM25:
    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        counted = [Counter(tokens(document)) for document in documents]
        self._vocabulary: dict[str, int] = {}
        for counts in counted:
            for word in counts:
                self._vocabulary.setdefault(word, len(self._vocabulary))
        lengths = np.array([sum(c.values()) for c in counted], dtype=np.float32)
        average = float(lengths.mean()) if len(lengths) else 1.0
        frequency = np.zeros(len(self._vocabulary), dtype=np.float32)
        rows, columns, counts_ = [], [], []
        for number, counts in enumerate(counted):
            for word, count in counts.items():
                column = self._vocabulary[word]
                rows.append(number)
                columns.append(column)
                counts_.append(count)
                frequency[column] += 1
        total = len(documents)
        idf = np.log1p((total - frequency + 0.5) / (frequency + 0.5))
        tf = np.array(counts_, dtype=np.float32)
        norm = k1 * (1 - b + b * lengths[rows] / (average or 1.0))
        weights = idf[columns] * tf * (k1 + 1) / (tf + norm)
        shape = (total, len(self._vocabulary))
        self._weights = sparse.csc_matrix((weights, (rows, columns)), shape=shape, dtype=np.float32)

    def scores(self, query: str, limit: int | None = None) -> dict[int, float]:
        """Scores of the documents sharing a word with the query (by position), best ``limit`` only."""
        columns = sorted({self._vocabulary[w] for w in tokens(query) if w in self._vocabulary})
        if not columns:
            return {}
        summed = np.asarray(self._weights[:, columns].sum(axis=1)).ravel()
        found = np.flatnonzero(summed)
        if limit is not None and len(found) > limit:
            found = found[np.argpartition(-summed[found], limit)[:limit]]
        return {int(number): float(summed[number]) for number in found}
