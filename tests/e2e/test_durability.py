"""kill -9 mid-conversation, then a restart: no acknowledged message lost, queue restored, widget resumes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer


async def _send_until_killed(customer: Customer, acked: dict[str, str]) -> None:
    """Send as fast as acks come back; remember every acknowledged message's id."""
    with contextlib.suppress(ConnectionClosed, TimeoutError, OSError):
        for n in range(100_000):
            answer = await customer.say(f"burst {n}", client_id=f"burst-{n}")
            if answer["type"] == "ack":
                acked[f"burst {n}"] = answer["id"]
            else:
                await asyncio.sleep(0.06)  # rate limited: slow down, as a real widget would


async def test_kill_9_loses_no_acknowledged_message_and_restores_the_queue(hub: HubServer) -> None:
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await agent.ready()
    talking, _ = await Customer.open(hub.ws, name="Talking")
    await talking.say("first question")
    conversation_id = await agent.accept_next_offer()
    assert (await agent.reply(conversation_id, "agent answer")).status_code == 201
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})

    waiting = []
    for name in ("Waiting-1", "Waiting-2", "Waiting-3"):
        customer, _ = await Customer.open(hub.ws, name=name)
        await customer.say(f"{name} needs help")
        await customer.next("status", where=lambda f: f["state"] == "queued")
        waiting.append(customer)

    acked: dict[str, str] = {}
    sender = asyncio.create_task(_send_until_killed(talking, acked))
    await asyncio.sleep(1.0)
    hub.kill()
    await asyncio.wait_for(sender, 10)
    assert len(acked) > 10

    hub.start()
    resumed, welcome = await Customer.open(hub.ws, token=talking.token)
    assert welcome["conversation_id"] == conversation_id
    stored = {m["text"]: m["id"] for m in welcome["history"]}
    missing = {text for text, message_id in acked.items() if stored.get(text) != message_id}
    assert not missing, f"acknowledged but lost: {sorted(missing)[:5]}"
    assert "agent answer" in stored and "first question" in stored
    status = await resumed.next("status")
    assert status["state"] == "assigned" and status["agent"] == "agent"

    positions = []
    for customer in waiting:
        back, again = await Customer.open(hub.ws, token=customer.token)
        assert again["conversation_id"] == customer.conversation_id
        positions.append((await back.next("status"))["queue_position"])
    assert positions == [1, 2, 3]

    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await agent.ready()
    offered = await agent.next("offer")
    assert offered["conversation_id"] == waiting[0].conversation_id  # first come, first served, still
    second = await agent.next("offer")
    assert second["conversation_id"] == waiting[1].conversation_id  # capacity 3: one slot holds the assigned chat
    reply = await agent.reply(conversation_id, "still here after the restart")
    assert reply.status_code == 201
    assert (await resumed.next("message", where=lambda f: f["role"] == "agent"))["text"] == reply.json()["text"]
    await agent.close()


async def test_a_resent_message_is_acked_again_but_stored_once(hub: HubServer) -> None:
    customer, _ = await Customer.open(hub.ws)
    first = await customer.say("only once", client_id="dup-1")
    second = await customer.say("only once", client_id="dup-1")
    assert first["type"] == second["type"] == "ack" and first["id"] == second["id"]
    _, welcome = await Customer.open(hub.ws, token=customer.token)
    assert [m["text"] for m in welcome["history"]] == ["only once"]


async def test_the_widget_gets_what_it_missed_while_away(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("are you there?")
    conversation_id = await agent.accept_next_offer()
    first = await customer.next("message", where=lambda f: f["role"] == "customer")
    await customer.close()
    await agent.reply(conversation_id, "yes, sorry for the wait")
    await agent.reply(conversation_id, "how can I help?")
    back, welcome = await Customer.open(hub.ws, token=customer.token, after_seq=first["seq"])
    assert welcome["conversation_id"] == conversation_id
    assert [m["text"] for m in welcome["history"]] == ["yes, sorry for the wait", "how can I help?"]
    await agent.reply(conversation_id, "live again")
    assert (await back.next("message", where=lambda f: f["role"] == "agent"))["text"] == "live again"


async def test_a_reloaded_console_sees_the_offers_still_open(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws, name="Patient")
    await customer.say("hello?")
    offer = await agent.next("offer")
    await agent.close()
    again = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    pending = await again.next("offer")
    assert pending["conversation_id"] == offer["conversation_id"] and pending["contact"] == "Patient"
    assert (await again.http.post(f"/api/conversations/{offer['conversation_id']}/accept")).status_code == 200
    await again.close()


async def test_a_cursor_from_an_older_conversation_is_ignored(tmp_path) -> None:
    with HubServer(tmp_path / "hub", env={"HUB_REOPEN_WINDOW_S": "0"}) as hub:
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        customer, _ = await Customer.open(hub.ws)
        for text in ("one", "two", "three"):
            await customer.say(text)
        old = await agent.accept_next_offer()
        await agent.http.post(f"/api/conversations/{old}/resolve")
        await customer.next("status", where=lambda f: f["state"] == "resolved")
        ack = await customer.say("new visit")
        _, welcome = await Customer.open(hub.ws, token=customer.token, after_seq=3, conversation_id=old)
        assert welcome["conversation_id"] == ack["conversation_id"] != old
        assert [m["text"] for m in welcome["history"]] == ["new visit"]
        await agent.close()


async def test_a_conversation_redis_lost_track_of_is_queued_again(tmp_path) -> None:
    """A process that dies between two steps (with a Redis that outlives it) must not strand a customer."""
    from redis.asyncio import Redis

    env = {"HUB_RECONCILE_INTERVAL_S": "0.5"}
    with HubServer(tmp_path / "hub", env=env) as hub:
        customer, _ = await Customer.open(hub.ws)
        await customer.say("hello?")
        await customer.next("status", where=lambda f: f["state"] == "queued")
        redis = Redis(unix_socket_path=str(hub.data_dir / "redis" / "redis.sock"), decode_responses=True)
        lost = customer.conversation_id  # as if lost mid-way: neither routed nor in its queue's line
        assert await redis.delete(f"hub:cv:{lost}") == 1
        assert await redis.zrem("hub:qw:general:0:chat", lost) == 1 and await redis.zrem("hub:qa:general:0", lost)
        await redis.aclose()
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        offer = await agent.next("offer", timeout=15)  # after the settle time, reconciliation re-queues it
        assert offer["conversation_id"] == customer.conversation_id
        await agent.close()


async def test_a_second_hub_on_the_same_data_directory_refuses_to_start(hub: HubServer) -> None:
    """It would stop the first one's private Redis and share it unknown to the first; it says so instead."""
    second = HubServer(hub.data_dir)
    with pytest.raises(RuntimeError) as refused:
        second.start()
    assert "another hub process runs the embedded Redis" in str(refused.value)
    assert "HUB_REDIS_URL" in str(refused.value)
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{hub.http}/healthz")).status_code == 200  # the first goes on
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await agent.ready()
    customer, _ = await Customer.open(hub.ws)
    await customer.say("still here?")
    assert await agent.accept_next_offer()


async def test_the_embedded_redis_is_started_again_if_it_dies(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("a person please")
    waiting = await agent.accept_next_offer()
    pid = int((hub.data_dir / "redis" / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)  # killed (by an operator, or the kernel out of memory)
    async with httpx.AsyncClient(base_url=hub.http) as http:
        for _ in range(100):
            await asyncio.sleep(0.1)
            if (await http.get("/healthz")).status_code == 200 and \
                    int((hub.data_dir / "redis" / "redis.pid").read_text()) != pid:
                break
        assert (await http.get("/healthz")).status_code == 200
    other, _ = await Customer.open(hub.ws)  # routing was rebuilt from the store, the agent still present
    await other.say("me too, a person please")
    assert (await agent.next("offer", timeout=10))["conversation_id"] == other.conversation_id
    await agent.reply(waiting, "still with you")
    assert (await customer.next("message", where=lambda f: f["role"] == "agent"))["text"] == "still with you"
    assert hub.log_tail(400).count("sweep failed") <= 1, hub.log_tail(400)  # once, not once per sweep
