"""Query embeddings for many concurrent searches, in few forward passes.

A CPU encodes a batch of short queries for little more than the cost of one, so searches that arrive while a
batch is being encoded wait for the next one and are encoded together. Nothing waits on purpose: a query
that arrives alone is encoded at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

MAX_BATCH = 32


class QueryBatcher:
    def __init__(self, encode_many: Callable[[list[str]], np.ndarray], max_batch: int = MAX_BATCH) -> None:
        self._encode_many = encode_many
        self._max_batch = max_batch
        self._pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def encode(self, text: str) -> np.ndarray:
        """``text``'s unit vector (encoded with whatever else is waiting)."""
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((text, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
                try:
                    vectors = await asyncio.to_thread(self._encode_many, [text for text, _ in batch])
                except Exception as exc:  # every waiter of this batch gets the failure
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), vector in zip(batch, vectors, strict=True):
                    if not future.done():
                        future.set_result(vector)
        finally:
            self._worker = None
