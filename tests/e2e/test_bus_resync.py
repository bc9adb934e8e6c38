"""Events published while a hub process was reconnecting to Redis never reach its open sockets: those
sockets are closed with 1012, and their clients catch up from the store when they come back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed

from tests.support.clients import Agent, Customer, FrameReader
from tests.support.hub import HubServer, hub_on_own_redis


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    """Events go through Redis pub/sub only when Redis is not the hub's private embedded one."""
    with hub_on_own_redis(tmp_path, env={"HUB_OFFER_TIMEOUT_S": "3"}) as server:
        yield server


async def _closed_with(client: FrameReader) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.next(timeout=10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_sockets_that_may_have_missed_events_are_closed_and_their_clients_catch_up(
        hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws, name="Zhao")
    await customer.say("my parcel is late")
    conversation_id = await agent.accept_next_offer()
    await customer.next("status", where=lambda f: f["state"] == "assigned")

    redis = Redis.from_url(hub.env["HUB_REDIS_URL"], decode_responses=True)
    try:
        assert await redis.client_kill_filter(_type="pubsub") == 1  # the hub's event connection
        assert (await agent.reply(conversation_id, "sorry, let me check")).status_code == 201
        codes = await asyncio.gather(_closed_with(customer), _closed_with(agent))
        assert codes == [1012, 1012]
    finally:
        await redis.aclose()

    back, welcome = await Customer.open(hub.ws, token=customer.token)  # as the widget does on its own
    assert welcome["conversation_id"] == conversation_id
    assert [m["text"] for m in welcome["history"]] == ["my parcel is late", "sorry, let me check"]
    again = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    assert (await again.reply(conversation_id, "it arrives tomorrow")).status_code == 201
    assert (await back.next("message", where=lambda f: f["role"] == "agent"))["text"] == "it arrives tomorrow"
    await back.say("thanks")
    assert (await again.next("message", where=lambda f: f["text"] == "thanks"))["role"] == "customer"
