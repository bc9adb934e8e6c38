"""Events over Redis pub/sub, delivered to whichever process holds the interested websocket.

One subscriber connection per process, read directly (no health-check or retry layers per event: it
carries every event of every socket the process holds). Local handlers are plain callables that must not
block (websocket handlers put the frame in their socket's outbox). A subscription is confirmed by Redis
before ``subscribe`` returns, so nothing published after it can be missed.

A connection that breaks, or stays silent past an unanswered ping, is replaced by a new one subscribed to
every channel again, and every local handler gets ``RESYNC``: what was published in between is lost to
them, so their sockets are closed and the clients catch up from the store.

Publishes made in the same turn of the event loop leave together in one pipelined round trip on the
publishing connection (under load, dozens of messages' events share it), in the order they were made;
each ``publish_many`` still returns only once Redis has taken its events.

An event that says a conversation is waiting (``if_waiting``) is published by a Lua script only while
it is in the waiting queue: one made just before an offer can never arrive after the assignment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hub import keys
from hub.flow import RESYNC
from hub.scripts import source

log = logging.getLogger(__name__)

Handler = Callable[[str], None]
REPLY_TIMEOUT_S = 5.0
KEEPALIVE_S = 15.0


class EventBus(Protocol):
    """What the pipeline publishes events on and sockets follow them by: ``Bus`` (Redis pub/sub, for
    processes that share a Redis) or ``LocalBus`` (one process with a private Redis)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish_many(self, channels: list[str], data: str, if_waiting: str | None = None) -> None: ...
    async def subscribe(self, channel: str, handler: Handler) -> None: ...
    async def unsubscribe(self, channel: str, handler: Handler) -> None: ...
    async def listeners(self, channel: str) -> int: ...

    @property
    def alive(self) -> bool: ...


class Handlers:
    """This process's handlers, by channel. A handler that raises is logged and the others still run."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[Handler]] = defaultdict(set)

    def add(self, channel: str, handler: Handler) -> bool:
        """True for the channel's first handler."""
        first = not self._by_channel[channel]
        self._by_channel[channel].add(handler)
        return first

    def remove(self, channel: str, handler: Handler) -> bool:
        """True when the channel's last handler went."""
        handlers = self._by_channel.get(channel)
        if handlers is None:
            return False
        handlers.discard(handler)
        if handlers:
            return False
        del self._by_channel[channel]
        return True

    def channels(self) -> list[str]:
        return list(self._by_channel)

    def count(self, channel: str) -> int:
        return len(self._by_channel.get(channel, ()))

    def deliver(self, channel: str, data: str) -> None:
        for handler in tuple(self._by_channel.get(channel, ())):
            try:
                handler(data)
            except Exception:
                log.exception("bus handler failed on %s", channel)

    def resync(self) -> None:
        """Every handler hears that events may have been missed."""
        for channel in self.channels():
            self.deliver(channel, RESYNC)


class Bus:
    def __init__(self, redis: Redis, keepalive_s: float = KEEPALIVE_S) -> None:
        self._redis = redis
        self._listener: AbstractConnection | None = None  # in subscribe mode; None while reconnecting
        self._heard = 0  # replies read on the listener (a ping's answer among them)
        self._keepalive_s = keepalive_s
        self._watchdog: asyncio.Task[None] | None = None
        self._handlers = Handlers()
        self._confirmations: dict[str, list[asyncio.Future[None]]] = defaultdict(list)
        self._reader: asyncio.Task[None] | None = None
        self._publisher: AbstractConnection | None = None  # made on first need, again after a failure
        self._if_waiting = source("publish_if_waiting")
        self._if_waiting_sha = ""
        self._outgoing: list[tuple[list[str], str, str | None]] = []
        self._sent: asyncio.Future[None] | None = None  # resolved when the outgoing batch is in Redis
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._listener = await self._listen()
        self._reader = asyncio.create_task(self._read(), name="bus-reader")
        self._watchdog = asyncio.create_task(self._watch(), name="bus-watchdog")

    async def _listen(self) -> AbstractConnection:
        """A new connection subscribed to every channel with a local handler (again, after a loss)."""
        connection = self._redis.connection_pool.make_connection()
        await connection.connect()
        await connection.send_command("SUBSCRIBE", keys.BROADCAST_EVENTS, *self._handlers.channels(),
                                      check_health=False)
        return connection

    async def _hang_up(self) -> None:
        listener, self._listener = self._listener, None
        await _drop(listener)

    async def stop(self) -> None:
        for task in (self._watchdog, self._reader):
            if task is not None:
                task.cancel()
                await asyncio.wait([task], timeout=5)
        await self._hang_up()
        await self._close_publisher()

    async def publish_many(self, channels: list[str], data: str, if_waiting: str | None = None) -> None:
        """One event to several channels, sent with whatever else is published in this turn; with
        ``if_waiting``, only if that conversation is in the waiting queue when Redis gets it."""
        if not channels:
            return
        self._outgoing.append((channels, data, if_waiting))
        if self._sent is None:
            self._sent = asyncio.get_running_loop().create_future()
        sent = self._sent
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="bus-publish")
        await asyncio.shield(sent)

    async def _send(self) -> None:
        """The one sender: batches leave one after another, so events keep the order they were made in."""
        try:
            await asyncio.sleep(0)  # let the other publishes of this turn join
            while self._outgoing:
                batch, sent = self._outgoing, self._sent
                self._outgoing, self._sent = [], None
                assert sent is not None
                try:
                    await self._publish(batch)
                except Exception as exc:
                    sent.set_exception(exc)
                    sent.exception()  # retrieved: a batch nobody waits on any more is not an error to report
                else:
                    sent.set_result(None)
        finally:
            self._sender = None
            if self._sent is not None and not self._outgoing:
                self._sent.cancel()

    async def _publish(self, batch: list[tuple[list[str], str, str | None]]) -> None:
        """Once more on a new connection if the standing one turns out broken (Redis restarted)."""
        while True:
            fresh = self._publisher is None
            try:
                publisher = self._publisher = self._publisher or await self._open_publisher()
                commands = self._commands(batch)
                await publisher.send_packed_command(publisher.pack_commands(commands), check_health=False)
                async with asyncio.timeout(REPLY_TIMEOUT_S):  # one deadline for the batch's replies
                    for _ in commands:
                        await publisher.read_response(timeout=math.inf)
                return
            except (RedisConnectionError, RedisTimeoutError, OSError):
                await self._close_publisher()
                if fresh:
                    raise
            except BaseException:  # a reply may be left unread: the next batch starts on a new connection
                await self._close_publisher()
                raise

    async def _open_publisher(self) -> AbstractConnection:
        publisher = self._redis.connection_pool.make_connection()
        try:
            await publisher.send_command("SCRIPT", "LOAD", self._if_waiting, check_health=False)
            self._if_waiting_sha = str(await publisher.read_response())
        except BaseException:
            await _drop(publisher)
            raise
        return publisher

    async def _close_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        await _drop(publisher)

    def _commands(self, batch: list[tuple[list[str], str, str | None]]) -> list[tuple[str | int, ...]]:
        commands: list[tuple[str | int, ...]] = []
        for channels, data, if_waiting in batch:
            if if_waiting is None:
                commands += [("PUBLISH", channel, data) for channel in channels]
            else:
                commands.append(("EVALSHA", self._if_waiting_sha, 1, keys.routed(if_waiting), data, *channels))
        return commands

    async def subscribe(self, channel: str, handler: Handler) -> None:
        if self._handlers.add(channel, handler):
            confirmed = asyncio.get_running_loop().create_future()
            self._confirmations[channel].append(confirmed)
            try:
                await self._command("SUBSCRIBE", channel)
                await asyncio.wait_for(confirmed, timeout=10)
            except BaseException:
                await self.unsubscribe(channel, handler)
                raise

    async def unsubscribe(self, channel: str, handler: Handler) -> None:
        if self._handlers.remove(channel, handler):
            await self._command("UNSUBSCRIBE", channel)

    async def listeners(self, channel: str) -> int:
        """Sockets following ``channel`` in every process (as Redis counts subscribed connections)."""
        [(_, count)] = await self._redis.pubsub_numsub(channel)
        return int(count)

    async def _command(self, *args: str) -> None:
        """To the subscribed connection; while it is being replaced, the new one subscribes to what
        ``_handlers`` holds then (so a lost command is made good, and its confirmation comes from there)."""
        if self._listener is not None:
            with contextlib.suppress(RedisConnectionError, RedisTimeoutError, OSError):
                await self._listener.send_command(*args, check_health=False)

    async def _read(self) -> None:
        while True:
            try:
                if self._listener is None:
                    self._listener = await self._listen()
                    log.warning("bus: resubscribed to %d channels", len(self._handlers.channels()) + 1)
                    self._handlers.resync()
                listener = self._listener
                while listener is self._listener:
                    reply = await listener.read_response(timeout=math.inf, push_request=True)
                    self._heard += 1
                    self._dispatch(reply)
            except (RedisConnectionError, RedisTimeoutError, OSError):
                log.warning("bus: Redis connection lost; resubscribing")
                await self._hang_up()
                await asyncio.sleep(0.2)
            except Exception:
                log.exception("bus: reading events failed; resubscribing")
                await self._hang_up()
                await asyncio.sleep(0.5)

    async def _watch(self) -> None:
        """A listener that hears nothing, not even the answer to a ping, is dead though its socket looks
        open (a half-open connection after a network failure, which would lose every event silently): it
        is replaced, and every channel subscribed again."""
        pinged = False
        while True:
            heard = self._heard
            await asyncio.sleep(self._keepalive_s)
            if self._heard != heard:
                pinged = False
            elif pinged:
                log.warning("bus: Redis did not answer a ping in %.0f s; reconnecting", self._keepalive_s)
                await self._hang_up()
                pinged = False
            else:
                await self._command("PING")
                pinged = True

    @property
    def alive(self) -> bool:
        """The reader runs: events published anywhere reach this process's sockets."""
        return self._reader is not None and not self._reader.done()

    def _dispatch(self, reply: list[str]) -> None:
        """A reply in subscribe mode: ``[message, channel, data]``, ``[subscribe, channel, count]``, …"""
        kind, channel = reply[0], reply[1]
        if kind == "message":
            self._handlers.deliver(channel, reply[2])
        elif kind == "subscribe":
            for future in self._confirmations.pop(channel, []):
                if not future.done():
                    future.set_result(None)


async def _drop(connection: AbstractConnection | None) -> None:
    if connection is not None:
        with contextlib.suppress(Exception):
            await connection.disconnect()
