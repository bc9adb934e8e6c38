"""The scaled deployment: several hub processes sharing one Redis and one MongoDB (the wire-protocol
server here; production uses a real MongoDB replica set), any of them holding any websocket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.redis import RedisServer


@pytest.fixture
def shared_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "shared-redis") as server:
        yield server


@pytest.fixture
def two_hubs(tmp_path: Path, shared_redis: RedisServer, mongo_url: str) -> Iterator[tuple[HubServer, HubServer]]:
    env = {"HUB_REDIS_URL": shared_redis.url, "HUB_MONGO_URL": mongo_url, "HUB_MONGO_DB": f"scale{tmp_path.name}"[:60],
           "HUB_SECRET_KEY": "shared-secret-for-both-processes"}
    first = HubServer(tmp_path / "one", env=env).start()
    second = HubServer(tmp_path / "two", env=env).start()
    yield first, second
    first.stop()
    second.stop()


async def test_a_customer_on_one_process_talks_to_an_agent_on_another(two_hubs) -> None:
    one, two = two_hubs
    assert one.add_user("li", "pw-li-123", "agent", "--display-name", "Li Na").returncode == 0
    agent = await Agent.login(two.http, two.ws, "li", "pw-li-123")
    await agent.ready()
    customer, _ = await Customer.open(one.ws, name="Zhang")
    await customer.say("在吗？")
    offer = await agent.next("offer")
    assert offer["conversation_id"] == customer.conversation_id
    assert (await agent.http.post(f"/api/conversations/{offer['conversation_id']}/accept")).status_code == 200
    assert (await customer.next("status", where=lambda f: f["state"] == "assigned"))["agent"] == "Li Na"
    await agent.reply(customer.conversation_id, "在的，请讲")
    assert (await customer.next("message", where=lambda f: f["role"] == "agent"))["text"] == "在的，请讲"
    await customer.say("谢谢")
    assert (await agent.next("message", where=lambda f: f["text"] == "谢谢"))["role"] == "customer"

    resumed, welcome = await Customer.open(two.ws, token=customer.token)  # the same customer, other process
    assert welcome["conversation_id"] == customer.conversation_id
    assert [m["text"] for m in welcome["history"]] == ["在吗？", "在的，请讲", "谢谢"]
    await agent.reply(customer.conversation_id, "两边都能收到")
    for socket in (customer, resumed):
        assert (await socket.next("message", where=lambda f: f["text"] == "两边都能收到"))["role"] == "agent"
    await agent.close()


async def test_a_token_signed_by_one_process_works_on_the_other(two_hubs) -> None:
    one, two = two_hubs
    assert one.add_user("wu", "pw-wu-123", "supervisor").returncode == 0
    agent = await Agent.login(one.http, one.ws, "wu", "pw-wu-123")
    me = await agent.http.get(f"{two.http}/api/agent/me")
    assert me.status_code == 200 and me.json()["role"] == "supervisor"
    await agent.close()


async def test_a_queue_change_on_one_process_is_taken_up_by_the_other(two_hubs) -> None:
    one, two = two_hubs
    async with httpx.AsyncClient(base_url=one.http, timeout=10) as http:
        login = await http.post("/api/auth/login", json={"username": "admin", "password": one.demo_password("admin")})
        headers = {"authorization": f"Bearer {login.json()['token']}"}
        changed = await http.put("/api/queues/", headers=headers,
                                 json=[{"id": "hotline", "name": "热线"}, {"id": "general", "name": "General"}])
        assert changed.status_code == 200, changed.text
    async with httpx.AsyncClient(base_url=two.http, timeout=10, headers=headers) as http:
        for _ in range(50):  # the other process checks the generation on its next sweep
            if [q["id"] for q in (await http.get("/api/queues/")).json()] == ["hotline", "general"]:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the second process kept the old queue set")
    customer, _ = await Customer.open(two.ws)
    await customer.say("hello")  # handed off on the second process: into its first queue, hotline
    await customer.next("status", where=lambda f: f["state"] == "queued")
    async with httpx.AsyncClient(base_url=two.http, timeout=10, headers=headers) as http:
        stats = {q["queue"]: q["waiting"] for q in (await http.get("/api/queues/stats")).json()}
    assert stats == {"hotline": 1, "general": 0}
    await customer.close()
