"""A faiss index of unit vectors: exact search while small, HNSW once large."""

from __future__ import annotations

import faiss
import numpy as np

EXACT_LIMIT = 50_000

# One query at a time is searched faster on one thread, and faiss's OpenMP workers would otherwise spin
# against torch's while the query is being embedded (p95 of a search fell from 15 ms to 2 ms here).
faiss.omp_set_num_threads(1)


class VectorIndex:
    def __init__(self, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT, hnsw_neighbours: int = 32) -> None:
        count, dimension = vectors.shape
        if count <= exact_limit:
            self.kind = "exact"
            self._index: faiss.Index = faiss.IndexFlatIP(dimension)
        else:
            self.kind = "hnsw"
            index = faiss.IndexHNSWFlat(dimension, hnsw_neighbours, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
            self._index = index
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, positions) for each query row, best first; -1 where fewer than k exist."""
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, len(self)) or 1)
