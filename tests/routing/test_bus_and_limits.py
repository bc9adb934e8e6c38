"""Event fan-out between processes and shared rate limits, on a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from hub import keys
from hub.bus import Bus
from hub.errors import RateLimited
from hub.flow import RESYNC
from hub.ratelimit import RateLimiter
from hub.scripts import Scripts
from tests.support.hub import free_port
from tests.support.redis import RedisServer


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    connection = Redis.from_url(redis_server.url, decode_responses=True)
    yield connection
    await connection.aclose()


@pytest.fixture
async def bus(client: Redis) -> AsyncIterator[Bus]:
    started = Bus(client)
    await started.start()
    yield started
    await started.stop()


async def test_an_event_reaches_the_process_that_holds_the_socket(redis_server: RedisServer) -> None:
    sender_redis = Redis.from_url(redis_server.url, decode_responses=True)
    holder_redis = Redis.from_url(redis_server.url, decode_responses=True)
    sender, holder = Bus(sender_redis), Bus(holder_redis)
    await sender.start()
    await holder.start()
    got: asyncio.Queue[str] = asyncio.Queue()
    try:
        await holder.subscribe("hub:ev:conv:x", got.put_nowait)
        await sender.publish_many(["hub:ev:conv:x", "hub:ev:agent:nobody"], '{"n":1}')
        assert await asyncio.wait_for(got.get(), 2) == '{"n":1}'
        await holder.unsubscribe("hub:ev:conv:x", got.put_nowait)
        await sender.publish_many(["hub:ev:conv:x"], '{"n":2}')
        await asyncio.sleep(0.1)
        assert got.empty()
    finally:
        for bus in (sender, holder):
            await bus.stop()
        for client in (sender_redis, holder_redis):
            await client.aclose()


async def test_a_lost_connection_is_replaced_and_every_channel_resubscribed(bus: Bus, client: Redis) -> None:
    got: asyncio.Queue[str] = asyncio.Queue()
    await bus.subscribe("hub:ev:kept", got.put_nowait)
    assert await client.client_kill_filter(_type="pubsub") == 1
    for _ in range(100):  # the reader notices, reconnects and subscribes again
        if await client.pubsub_numsub("hub:ev:kept") == [("hub:ev:kept", 1)]:
            break
        await asyncio.sleep(0.05)
    await bus.publish_many(["hub:ev:kept"], "after")
    assert await asyncio.wait_for(got.get(), 2) is RESYNC  # whatever was published in between is lost to it
    assert await asyncio.wait_for(got.get(), 2) == "after"
    await bus.subscribe("hub:ev:new", got.put_nowait)  # and the new connection takes new channels
    await bus.publish_many(["hub:ev:new"], "new")
    assert await asyncio.wait_for(got.get(), 2) == "new"
    assert bus.alive


async def test_publishing_goes_on_over_a_new_connection_after_the_old_one_broke(bus: Bus, client: Redis) -> None:
    got: asyncio.Queue[str] = asyncio.Queue()
    await bus.subscribe("hub:ev:conv:p", got.put_nowait)
    await bus.publish_many(["hub:ev:conv:p"], "before")
    assert await client.client_kill_filter(_type="normal", skipme=True) >= 1  # the publishing connection
    await client.hset(keys.routed("p"), "q", "general")
    await bus.publish_many(["hub:ev:conv:p"], "after")
    await bus.publish_many(["hub:ev:conv:p"], "waiting", if_waiting="p")  # its script is loaded there again
    assert [await asyncio.wait_for(got.get(), 2) for _ in range(3)] == ["before", "after", "waiting"]


class StallingLink:
    """TCP in front of the Redis socket whose open connections can be made to stall: bytes sent either way
    vanish and nothing closes, as when the network between a hub and Redis fails."""

    def __init__(self, server: RedisServer) -> None:
        self.server = server
        self.port = free_port()
        self.stalled: set[asyncio.StreamWriter] = set()
        self.open: list[asyncio.StreamWriter] = []
        self.links: set[asyncio.Task[object]] = set()

    async def __aenter__(self) -> StallingLink:
        self.listening = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.listening.close()
        for writer in self.open:
            writer.close()
        await asyncio.wait(self.links, timeout=2)

    def stall(self) -> None:
        self.stalled.update(self.open)

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.links.add(task)
        up_reader, up_writer = await asyncio.open_unix_connection(str(self.server.socket))
        self.open += [writer, up_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                if sink not in self.stalled and writer not in self.stalled:
                    sink.write(data)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)


async def test_a_silent_connection_is_found_by_its_unanswered_ping_and_replaced(redis_server: RedisServer) -> None:
    async with StallingLink(redis_server) as link:
        client = Redis.from_url(f"redis://127.0.0.1:{link.port}", decode_responses=True)
        direct = Redis.from_url(redis_server.url, decode_responses=True)
        bus = Bus(client, keepalive_s=0.2)
        await bus.start()
        got: asyncio.Queue[str] = asyncio.Queue()
        try:
            await bus.subscribe("hub:ev:conv:s", got.put_nowait)
            link.stall()  # the listener's socket stays open, but nothing gets through any more
            await direct.publish("hub:ev:conv:s", "lost")
            for _ in range(100):  # a ping goes unanswered; a new connection subscribes again
                if await direct.pubsub_numsub("hub:ev:conv:s") == [("hub:ev:conv:s", 2)]:
                    break
                await asyncio.sleep(0.05)
            await direct.publish("hub:ev:conv:s", "after")
            assert await asyncio.wait_for(got.get(), 2) is RESYNC  # "lost" was
            assert await asyncio.wait_for(got.get(), 2) == "after"
            assert bus.alive
        finally:
            await bus.stop()
            await client.aclose()
            await direct.aclose()


async def test_rate_limit_is_shared_and_resets_after_the_window(redis_server: RedisServer) -> None:
    one = Redis.from_url(redis_server.url, decode_responses=True)
    two = Redis.from_url(redis_server.url, decode_responses=True)
    limiters = [RateLimiter(Scripts(one)), RateLimiter(Scripts(two))]
    try:
        for n in range(4):
            await limiters[n % 2].hit("login", "wang-test", limit=4, window_s=0.3)
        with pytest.raises(RateLimited) as raised:
            await limiters[0].hit("login", "wang-test", limit=4, window_s=0.3)
        assert raised.value.status == 429
        await limiters[1].hit("login", "someone-else", limit=4, window_s=0.3)
        await asyncio.sleep(0.35)
        await limiters[1].hit("login", "wang-test", limit=4, window_s=0.3)
    finally:
        await one.aclose()
        await two.aclose()
