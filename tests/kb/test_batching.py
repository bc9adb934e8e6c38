"""Concurrent searches share forward passes: queries that arrive while one batch is encoded go together in
the next, each gets its own vector back, and a failure reaches every waiter of its batch."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from kb.batching import QueryBatcher


class Encoder:
    """Encodes text as [len(text), its number]; holds each call until released, to let arrivals pile up."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.fail = False

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.release.wait(5)
        if self.fail:
            raise RuntimeError("model failed")
        return np.array([[len(t), float(t.split()[-1])] for t in texts], dtype=np.float32)


async def test_queries_arriving_during_a_batch_are_encoded_together_in_the_next() -> None:
    encoder = Encoder()
    batcher = QueryBatcher(encoder, max_batch=4)
    first = asyncio.create_task(batcher.encode("q 0"))
    await asyncio.sleep(0.05)  # the first is being encoded alone
    later = [asyncio.create_task(batcher.encode(f"query {n}")) for n in range(1, 7)]
    await asyncio.sleep(0.05)
    encoder.release.set()
    vectors = await asyncio.gather(first, *later)
    assert encoder.calls == [["q 0"], ["query 1", "query 2", "query 3", "query 4"], ["query 5", "query 6"]]
    assert [v.tolist() for v in vectors] == [[3, 0], *([[7, n] for n in range(1, 7)])]


async def test_a_failed_batch_fails_each_of_its_queries_and_the_next_still_runs() -> None:
    encoder = Encoder()
    encoder.fail = True
    encoder.release.set()
    batcher = QueryBatcher(encoder)
    results = await asyncio.gather(batcher.encode("a 1"), batcher.encode("b 2"), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    encoder.fail = False
    assert (await batcher.encode("c 3")).tolist() == [3, 3]
    with pytest.raises(RuntimeError):
        encoder.fail = True
        await batcher.encode("d 4")
