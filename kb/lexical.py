"""BM25 (Okapi) over the KB's questions: the retrieval that works for any language jieba can cut."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from kb.text import tokens


class BM25:
    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths: list[int] = []
        for number, document in enumerate(documents):
            counts = Counter(tokens(document))
            self._lengths.append(sum(counts.values()))
            for word, count in counts.items():
                self._postings[word].append((number, count))
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        total = len(self._lengths)
        self._idf = {word: math.log(1 + (total - len(p) + 0.5) / (len(p) + 0.5)) for word, p in self._postings.items()}

    def scores(self, query: str) -> dict[int, float]:
        """Score of every document sharing a word with the query (documents by their position)."""
        found: dict[int, float] = defaultdict(float)
        for word in set(tokens(query)):
            idf = self._idf.get(word)
            if idf is None:
                continue
            for number, count in self._postings[word]:
                norm = self._k1 * (1 - self._b + self._b * self._lengths[number] / (self._average or 1))
                found[number] += idf * count * (self._k1 + 1) / (count + norm)
        return dict(found)
