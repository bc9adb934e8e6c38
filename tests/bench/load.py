"""The load generator: customers send at an offered rate, agents timestamp what they receive."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field

import msgspec
from websockets.asyncio.client import ClientConnection

_decode = msgspec.json.decode
_encode = msgspec.json.encode


@dataclass
class Tally:
    sent: dict[str, int] = field(default_factory=dict)  # text → perf_counter_ns at send
    latencies_ms: list[float] = field(default_factory=list)
    acks: int = 0
    errors: int = 0

    def reset(self) -> None:
        self.sent.clear()
        self.latencies_ms.clear()
        self.acks = self.errors = 0


async def read_customer(ws: ClientConnection, tally: Tally) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:
            kind = _decode(raw).get("type")
            if kind == "ack":
                tally.acks += 1
            elif kind == "error":
                tally.errors += 1


async def read_agent(ws: ClientConnection, tally: Tally) -> None:
    with contextlib.suppress(Exception):
        async for raw in ws:
            frame = _decode(raw)
            if frame.get("type") == "message" and frame.get("role") == "customer":
                started = tally.sent.pop(frame["text"], None)
                if started is not None:
                    tally.latencies_ms.append((time.perf_counter_ns() - started) / 1e6)


_ids = itertools.count()


async def offer_load(customers: list[ClientConnection], rate: float, seconds: float, tally: Tally) -> float:
    """Send ``rate`` messages a second, spread evenly over the customers, for ``seconds``.

    Returns the rate actually offered (lower than asked when the generator itself cannot keep up).
    """
    interval = 1.0 / rate
    start = time.perf_counter()
    sent = 0
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed / interval) + 1
        while sent < due:
            n = next(_ids)
            text = f"m{n}"
            tally.sent[text] = time.perf_counter_ns()
            payload = _encode({"type": "message", "client_id": f"k{n}", "text": text}).decode()
            await customers[sent % len(customers)].send(payload)
            sent += 1
        await asyncio.sleep(max(0.0, (sent * interval) - (time.perf_counter() - start)))
    return sent / (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
