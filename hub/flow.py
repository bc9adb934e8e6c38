"""Flow control for one websocket: an ordered outbox with a single writer, and a token bucket.

Neutral on purpose (no hub imports): connectors and the agent API both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# Given to every event handler when events may have been missed (the bus replaced its Redis connection): an
# outbox then closes its socket with RESYNC_CLOSE, and the client reconnects and catches up from the store.
RESYNC = '{"type":"resync"}'
RESYNC_CLOSE = (1012, "events may have been missed; reconnect to catch up")


async def close_all(*steps: Awaitable[object]) -> None:
    """Run every clean-up step, even when an earlier one fails (each failure is logged)."""
    for step in steps:
        try:
            await step
        except Exception:
            log.warning("clean-up step failed", exc_info=True)


class TokenBucket:
    """Allows ``rate`` events a second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Outbox:
    """Frames leave in the order they were pushed, written by one task, so sends never interleave.

    While ``held``, pushed frames wait behind whatever ``release`` puts first (a welcome frame must
    precede the live events that arrived while it was being prepared). ``RESYNC`` closes the socket once
    the frames before it are out.
    """

    def __init__(self, send: Callable[[str], Awaitable[None]], limit: int = 1000,
                 close: Callable[[int, str], Awaitable[None]] | None = None) -> None:
        self._send = send
        self._close = close
        self._frames: deque[str | None] = deque()  # None: close (RESYNC)
        self._limit = limit
        self._idle: asyncio.Future[None] | None = None  # the writer waits on it when nothing is left to send
        self._held: list[str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        self.overflowed = False

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write(), name="outbox-writer")

    def push(self, frame: str) -> None:
        if self._held is not None:
            self._held.append(frame)
            return
        if len(self._frames) >= self._limit:  # a client that reads nothing: it catches up once it reconnects
            if not self.overflowed and self._close is not None:
                self._closing = asyncio.get_running_loop().create_task(self._close_quietly())
            self.overflowed = True  # and the caller stops reading it
            return
        self._frames.append(None if frame is RESYNC else frame)
        idle, self._idle = self._idle, None
        if idle is not None and not idle.done():
            idle.set_result(None)

    def hold(self) -> None:
        self._held = []

    def release(self, *first: str) -> None:
        held, self._held = self._held or [], None
        for frame in (*first, *held):
            self.push(frame)

    async def _next(self) -> str | None:
        while not self._frames:
            self._idle = asyncio.get_running_loop().create_future()
            await self._idle
        return self._frames.popleft()

    async def _write(self) -> None:
        while (frame := await self._next()) is not None:
            try:
                await self._send(frame)
            except Exception:  # the socket is gone; the reader side will notice and clean up
                log.debug("outbox: send failed", exc_info=True)
                return
        await self._close_quietly()  # RESYNC: the reader side sees the socket end and cleans up

    async def _close_quietly(self) -> None:
        if self._close is None:
            return
        try:
            await self._close(*RESYNC_CLOSE)
        except Exception:
            log.debug("outbox: close failed", exc_info=True)

    async def close(self) -> None:
        if self._writer is None:
            return
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        self._writer = None
