"""What both event buses promise: Redis pub/sub (``Bus``, processes sharing a Redis) and the in-process one
(``LocalBus``, a hub on its private embedded Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from hub import keys
from hub.bus import Bus, EventBus
from hub.local_bus import LocalBus


@pytest.fixture(params=[Bus, LocalBus], ids=["redis", "local"])
async def bus(request: pytest.FixtureRequest, fresh_redis: Redis) -> AsyncIterator[EventBus]:
    started: EventBus = request.param(fresh_redis)
    await started.start()
    yield started
    await started.stop()


async def _until(check: Callable[[], bool]) -> None:
    for _ in range(100):
        if check():
            return
        await asyncio.sleep(0.02)


async def test_two_local_handlers_share_one_subscription(bus: EventBus) -> None:
    first: list[str] = []
    second: list[str] = []
    await bus.subscribe("hub:ev:t", first.append)
    await bus.subscribe("hub:ev:t", second.append)
    assert await bus.listeners("hub:ev:t") >= 1
    await bus.unsubscribe("hub:ev:t", first.append)
    await bus.publish_many(["hub:ev:t", "hub:ev:nobody"], "hello")
    await _until(lambda: bool(second))
    assert first == [] and second == ["hello"]
    await bus.unsubscribe("hub:ev:t", second.append)
    for _ in range(100):  # Redis counts subscribed connections once it has read the unsubscribe
        if await bus.listeners("hub:ev:t") == 0:
            break
        await asyncio.sleep(0.02)
    assert await bus.listeners("hub:ev:t") == 0


async def test_a_failing_handler_does_not_keep_an_event_from_the_others(bus: EventBus) -> None:
    got: list[str] = []

    def broken(_: str) -> None:
        raise RuntimeError("a socket's handler broke")

    await bus.subscribe("hub:ev:f", broken)
    await bus.subscribe("hub:ev:f", got.append)
    await bus.publish_many(["hub:ev:f"], "one")
    await bus.publish_many(["hub:ev:f"], "two")
    await _until(lambda: len(got) == 2)
    assert got == ["one", "two"]


async def test_concurrent_publishes_arrive_in_the_order_they_were_made(bus: EventBus) -> None:
    got: list[str] = []
    await bus.subscribe("hub:ev:order", got.append)
    await asyncio.gather(*(bus.publish_many(["hub:ev:order"], str(n)) for n in range(300)))
    for n in range(300, 310):  # one at a time too, each batch after the previous one
        await bus.publish_many(["hub:ev:order"], str(n))
    await _until(lambda: len(got) == 310)
    assert got == [str(n) for n in range(310)]


async def test_a_waiting_status_is_published_only_while_the_conversation_waits(
        bus: EventBus, fresh_redis: Redis) -> None:
    """A position announcement made just before an offer must not reach the agent after the assignment."""
    got: list[str] = []
    await bus.subscribe("hub:ev:conv:w", got.append)
    await fresh_redis.hset(keys.routed("w"), "q", "general")
    await bus.publish_many(["hub:ev:conv:w"], "queued 1", if_waiting="w")
    await fresh_redis.hset(keys.routed("w"), "offered", "agent-1")
    await bus.publish_many(["hub:ev:conv:w"], "queued 1 again", if_waiting="w")
    await bus.publish_many(["hub:ev:conv:w"], "assigned")
    await _until(lambda: len(got) == 2)
    await asyncio.sleep(0.05)
    assert got == ["queued 1", "assigned"]


async def test_an_event_made_while_a_waiting_status_is_checked_comes_after_it(
        bus: EventBus, fresh_redis: Redis) -> None:
    """The status asks Redis first; what is published meanwhile (the assignment, after an offer that Redis
    saw later) must not overtake it."""
    got: list[str] = []
    await bus.subscribe("hub:ev:conv:o", got.append)
    await fresh_redis.hset(keys.routed("o"), "q", "general")
    status = asyncio.create_task(bus.publish_many(["hub:ev:conv:o"], "queued 1", if_waiting="o"))
    await asyncio.sleep(0)  # the status's question is on its way to Redis
    await bus.publish_many(["hub:ev:conv:o"], "offered")
    await bus.publish_many(["hub:ev:conv:o"], "assigned")
    await status
    await _until(lambda: len(got) == 3)
    assert got == ["queued 1", "offered", "assigned"]


async def test_a_waiting_status_redis_cannot_check_is_not_published_and_the_events_after_it_are() -> None:
    unreachable = Redis(unix_socket_path="/nonexistent/redis.sock", decode_responses=True)
    bus = LocalBus(unreachable)
    got: list[str] = []
    await bus.subscribe("hub:ev:conv:e", got.append)
    status = asyncio.create_task(bus.publish_many(["hub:ev:conv:e"], "queued 1", if_waiting="e"))
    await asyncio.sleep(0)
    after = asyncio.create_task(bus.publish_many(["hub:ev:conv:e"], "assigned"))
    with pytest.raises(RedisConnectionError):  # the caller hears it
        await status
    await after
    assert got == ["assigned"]
    await unreachable.aclose()
