"""Embeddings kept by text, so rebuilding the index only embeds what is new; persisted for a fast start.

The file remembers which model made the vectors: a different model directory starts an empty cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

from kb.embedder import Embedder

log = logging.getLogger(__name__)


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class VectorCache:
    def __init__(self, embedder: Embedder, path: Path | None = None) -> None:
        self._embedder = embedder
        self._path = path
        self._model = str(embedder.model_dir)
        self._vectors: dict[str, np.ndarray] = {}
        self.loaded = 0  # vectors read from the file
        self.embedded = 0  # texts embedded since
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            # Our own handle, closed even when numpy gives up on a damaged file.
            with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
                if str(data["model"]) != self._model:
                    return
                self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
                self.loaded = len(self._vectors)
        except Exception:  # a damaged or foreign file (zip, numpy or key errors): start empty
            log.warning("the KB vector cache %s is unreadable; it will be rebuilt", path)

    def vectors(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text; embeds (in one batch) only the texts not cached yet."""
        keys = [_key(text) for text in texts]
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._vectors}
        if missing:
            self.embedded += len(missing)
            for key, vector in zip(missing, self._embedder.encode(list(missing.values())), strict=True):
                self._vectors[key] = vector
        if not keys:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([self._vectors[key] for key in keys])

    def keep_only(self, texts: list[str]) -> None:
        """Forget vectors of texts no longer in the KB."""
        wanted = {_key(text) for text in texts}
        self._vectors = {key: vector for key, vector in self._vectors.items() if key in wanted}

    def save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._path.with_name(f"{self._path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        keys = list(self._vectors)
        vectors = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, self._embedder.dimension))
        np.savez(partial, model=np.array(self._model), keys=np.array(keys), vectors=vectors.astype(np.float32))
        os.replace(partial, self._path)
