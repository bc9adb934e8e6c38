"""Events within one process, for a hub whose Redis is its own private embedded server.

No other process can reach that Redis (it listens on a unix socket in the hub's data directory), so every
socket that could follow an event is in this process: sending events out to Redis only to read them back
would cost about a fifth of the hub's main-thread CPU per message and buy nothing. Handlers are called at
once, in the order events were published, exactly as ``Bus`` delivers them.

An event that says a conversation is waiting (``if_waiting``) still asks Redis whether it waits (the queue
lives there) and holds every event published after it until the answer is in: one made just before an
offer can never arrive after the assignment. The argument: the offer changes Redis after the question was
asked, and the assignment's event is published after the offer, so it queues behind the question.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from redis.asyncio import Redis

from hub import keys
from hub.bus import Handler, Handlers
from hub.scripts import source


@dataclass(slots=True)
class _Held:
    channels: list[str]
    data: str
    send: bool | None = None  # None until Redis said whether the conversation waits


class LocalBus:
    def __init__(self, redis: Redis) -> None:
        self._handlers = Handlers()
        self._held: deque[_Held] = deque()
        # The same script as Bus uses; given no channels, it only answers whether the conversation waits.
        self._still_waiting = redis.register_script(source("publish_if_waiting"))

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to hang up."""

    async def publish_many(self, channels: list[str], data: str, if_waiting: str | None = None) -> None:
        if not channels:
            return
        if if_waiting is None and not self._held:
            self._deliver(channels, data)
            return
        held = _Held(channels, data)
        self._held.append(held)
        try:
            if if_waiting is None:
                held.send = True
            else:
                held.send = bool(await self._still_waiting(keys=[keys.routed(if_waiting)], args=[data]))
        finally:
            if held.send is None:  # Redis did not answer: the event is not published (the caller hears why)
                held.send = False
            self._release()

    def _release(self) -> None:
        while self._held and self._held[0].send is not None:
            held = self._held.popleft()
            if held.send:
                self._deliver(held.channels, held.data)

    def _deliver(self, channels: list[str], data: str) -> None:
        for channel in channels:
            self._handlers.deliver(channel, data)

    async def subscribe(self, channel: str, handler: Handler) -> None:
        self._handlers.add(channel, handler)

    async def unsubscribe(self, channel: str, handler: Handler) -> None:
        self._handlers.remove(channel, handler)

    async def listeners(self, channel: str) -> int:
        return self._handlers.count(channel)

    @property
    def alive(self) -> bool:
        """Always: there is no connection to lose."""
        return True
