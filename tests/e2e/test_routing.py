"""Minimal routing end to end: FIFO, capacity, offer timeout, transfer, reopen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.kb import publish


async def _second_agent(hub: HubServer, name: str = "wang", *extra: str) -> Agent:
    made = hub.add_user(name, "pass-word-1", "agent", "--display-name", "Wang Fang", *extra)
    assert made.returncode == 0, made.stderr
    other = await Agent.login(hub.http, hub.ws, name, "pass-word-1")
    await other.ready()
    return other


async def test_user_add_refuses_a_taken_name_and_what_the_api_refuses(hub: HubServer) -> None:
    assert hub.add_user("li", "pass-word-1").returncode == 0
    for name in ("li", "LI"):
        taken = hub.add_user(name, "pass-word-1")
        assert (taken.returncode, taken.stderr) == (1, "hub: that username is taken\n")
    assert hub.add_user("zhao", "pass-word-1", "emperor").returncode == 2
    for name, password, said in (("zhao", "short", "the password must be at least 8 characters"),
                                 ("eve smith", "pass-word-1", "a username is 1 to 64 letters"),
                                 ("", "pass-word-1", "a username is 1 to 64 letters")):
        refused = hub.add_user(name, password)
        assert refused.returncode == 2 and refused.stderr.startswith(f"hub: {said}"), refused.stderr
    for capacity in ("-5", "101", "many"):
        refused = hub.add_user("zhao", "pass-word-1", "agent", "--capacity", capacity)
        assert refused.returncode == 2 and "--capacity" in refused.stderr and "Traceback" not in refused.stderr


async def test_capacity_holds_and_the_rest_wait_in_order(hub: HubServer, agent: Agent) -> None:
    customers = []
    for n in range(5):
        customer, _ = await Customer.open(hub.ws, name=f"c{n}")
        await customer.say(f"question {n}")
        customers.append(customer)
    offers = [await agent.next("offer") for _ in range(3)]
    assert [o["conversation_id"] for o in offers] == [c.conversation_id for c in customers[:3]]
    for offer in offers:
        assert (await agent.http.post(f"/api/conversations/{offer['conversation_id']}/accept")).status_code == 200
    fourth = await customers[3].next("status", where=lambda f: f["state"] == "queued")
    fifth = await customers[4].next("status", where=lambda f: f["state"] == "queued")
    assert (fourth["queue_position"], fifth["queue_position"]) == (1, 2)
    listed = await agent.http.get("/api/conversations/")
    assert {c["id"] for c in listed.json()} == {c.conversation_id for c in customers[:3]}
    await agent.http.post(f"/api/conversations/{customers[0].conversation_id}/resolve")
    assert (await agent.next("offer"))["conversation_id"] == customers[3].conversation_id


async def test_an_unanswered_offer_times_out_and_is_offered_again(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("anyone?")
    first = await agent.next("offer")
    withdrawn = await agent.next("offer_withdrawn", timeout=10)
    assert withdrawn == {"type": "offer_withdrawn", "conversation_id": first["conversation_id"], "reason": "timeout"}
    again = await agent.next("offer", timeout=10)  # the only agent: offered to them again, afresh
    assert again["conversation_id"] == customer.conversation_id and again["expires_at"] > first["expires_at"]
    assert (await agent.http.post(f"/api/conversations/{customer.conversation_id}/accept")).status_code == 200
    assert (await customer.next("status", where=lambda f: f["state"] == "assigned"))["agent"] == "agent"


async def test_a_declined_offer_goes_to_another_agent(hub: HubServer, agent: Agent) -> None:
    other = await _second_agent(hub)
    customer, _ = await Customer.open(hub.ws)
    await customer.say("hello")
    first, second = (agent, other)
    offer = await first.next("offer")
    assert (await first.http.post(f"/api/conversations/{offer['conversation_id']}/decline")).status_code == 200
    assert (await second.next("offer"))["conversation_id"] == customer.conversation_id
    await other.close()


async def test_transfer_puts_the_conversation_back_in_the_queue(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("转人工")
    conversation_id = await agent.accept_next_offer()
    moved = await agent.http.post(f"/api/conversations/{conversation_id}/transfer")
    assert moved.json()["state"] == "queued" and moved.json()["handoff_reason"] == "transfer"
    await customer.next("status", where=lambda f: f["state"] == "queued" and f.get("reason") == "transfer")
    other = await _second_agent(hub)
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    assert (await other.accept_next_offer(timeout=10)) == conversation_id
    history = await other.http.get(f"/api/conversations/{conversation_id}/messages")
    assert [m["text"] for m in history.json()] == ["转人工"]
    await other.close()


async def test_handoff_reason_is_recorded(hub: HubServer, agent: Agent) -> None:
    asking, _ = await Customer.open(hub.ws)
    await asking.say("I want to talk to a person")
    conversation_id = await agent.accept_next_offer()
    details = await agent.http.get(f"/api/conversations/{conversation_id}")
    assert details.json()["handoff_reason"] == "customer_request"


async def test_a_customer_message_reopens_a_resolved_conversation(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("one more thing")
    conversation_id = await agent.accept_next_offer()
    await agent.http.post(f"/api/conversations/{conversation_id}/resolve")
    await customer.next("status", where=lambda f: f["state"] == "resolved")
    ack = await customer.say("actually, one more")
    assert ack["conversation_id"] == conversation_id
    await customer.next("status", where=lambda f: f["state"] == "queued")
    assert (await agent.next("offer"))["conversation_id"] == conversation_id


@pytest.fixture
async def past_the_window(tmp_path) -> AsyncIterator[tuple[HubServer, Agent]]:
    """A hub where a message after the resolution begins a new conversation (no reopen window); its agent ready."""
    with HubServer(tmp_path / "hub", env={"HUB_REOPEN_WINDOW_S": "0"}) as hub:
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        yield hub, agent
        await agent.close()


async def _first_visit(agent: Agent, customer: Customer, client_id: str | None = None) -> str:
    """The customer's first conversation ("first visit"), taken by the agent and resolved; returns its id."""
    await customer.say("first visit", client_id=client_id)
    old = await agent.accept_next_offer()
    await agent.http.post(f"/api/conversations/{old}/resolve")
    await customer.next("status", where=lambda f: f["state"] == "resolved")
    return old


async def test_after_the_reopen_window_a_new_conversation_starts(past_the_window) -> None:
    hub, agent = past_the_window
    customer, _ = await Customer.open(hub.ws)
    old = await _first_visit(agent, customer)
    ack = await customer.say("a week later")
    assert ack["type"] == "ack" and ack["conversation_id"] != old
    # The live socket follows the new conversation from its first event on: its own message, its place.
    echo = await customer.next("message", where=lambda f: f["text"] == "a week later")
    assert echo["conversation_id"] == ack["conversation_id"]
    await customer.next("status", where=lambda f: f["state"] == "queued")
    assert (await agent.next("offer"))["conversation_id"] == ack["conversation_id"]
    _, welcome = await Customer.open(hub.ws, token=customer.token)
    assert welcome["conversation_id"] == ack["conversation_id"]
    assert [m["text"] for m in welcome["history"]] == ["a week later"]


async def test_a_resend_of_an_old_message_does_not_move_the_socket_back(past_the_window) -> None:
    hub, agent = past_the_window
    customer, _ = await Customer.open(hub.ws)
    old = await _first_visit(agent, customer, client_id="first")
    new = (await customer.say("a week later"))["conversation_id"]
    assert new != old
    again, welcome = await Customer.open(hub.ws, token=customer.token)  # the page reloaded
    assert welcome["conversation_id"] == new
    resent = await again.say("first visit", client_id="first")  # the widget retries a send it lost track of
    assert resent["type"] == "ack" and resent["conversation_id"] == old
    assert (await again.say("and another thing"))["conversation_id"] == new


async def test_past_the_window_two_tabs_of_a_customer_go_on_in_one_new_conversation(past_the_window) -> None:
    hub, agent = past_the_window
    first, _ = await Customer.open(hub.ws)
    second, _ = await Customer.open(hub.ws, token=first.token)  # another tab of the same customer
    old = await _first_visit(agent, first)
    await second.next("status", where=lambda f: f["state"] == "resolved")
    new = (await first.say("a week later"))["conversation_id"]
    moved = await second.next("moved")  # the other tab hears where the conversation went on
    assert moved == {"type": "moved", "conversation_id": new, "previous_id": old}
    assert (await second.say("from the other tab"))["conversation_id"] == new
    assert (await agent.next("offer"))["conversation_id"] == new
    await first.send({"type": "ping"})
    await first.next("pong")
    assert not [f for f in first.seen if f["type"] == "moved"]  # the tab that moved needs no notice
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    await asyncio.sleep(0.3)
    assert not [f for f in agent.seen if f["type"] == "offer" and f["conversation_id"] not in (old, new)]
    _, welcome = await Customer.open(hub.ws, token=first.token)
    assert [m["text"] for m in welcome["history"]] == ["a week later", "from the other tab"]


async def test_waiting_customers_hear_their_position_move(hub: HubServer, agent: Agent) -> None:
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    customers = []
    for n in range(3):
        customer, _ = await Customer.open(hub.ws)
        await customer.say(f"q{n}")
        await customer.next("status", where=lambda f: f["state"] == "queued")
        customers.append(customer)
    solo = await _second_agent(hub, "solo", "--capacity", "1")
    assert (await solo.next("offer"))["conversation_id"] == customers[0].conversation_id
    moved = [await c.next("status", where=lambda f, p=p: f.get("queue_position") == p)
             for c, p in ((customers[1], 1), (customers[2], 2))]
    assert [m["queue_position"] for m in moved] == [1, 2]  # were 2 and 3
    await solo.close()


async def test_an_offline_agent_gets_no_offers(hub: HubServer, agent: Agent) -> None:
    assert (await agent.http.post("/api/agent/state", json={"state": "offline"})).status_code == 200
    customer, _ = await Customer.open(hub.ws)
    await customer.say("hello")
    await customer.next("status", where=lambda f: f["state"] == "queued")
    me = await agent.http.get("/api/agent/me")
    assert me.json()["state"] == "offline"
    await agent.ready()
    assert (await agent.next("offer"))["conversation_id"] == customer.conversation_id


async def test_an_agent_whose_consoles_all_closed_goes_offline(tmp_path) -> None:
    with HubServer(tmp_path / "hub", env={"HUB_PRESENCE_TTL_S": "1"}) as hub:
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        second_console = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ws.close()
        await asyncio.sleep(2.5)  # one console is still open: still ready
        assert (await second_console.http.get("/api/agent/me")).json()["state"] == "ready"
        http = second_console.http
        await second_console.ws.close()
        for _ in range(40):
            await asyncio.sleep(0.25)
            if (await http.get("/api/agent/me")).json()["state"] == "offline":
                break
        assert (await http.get("/api/agent/me")).json()["state"] == "offline"
        customer, _ = await Customer.open(hub.ws)
        await customer.say("anyone?")
        queued = await customer.next("status", where=lambda f: f["state"] == "queued")
        assert queued["queue_position"] == 1
        await http.aclose()


async def test_stepping_away_hands_open_offers_to_the_next_agent(hub: HubServer, agent: Agent) -> None:
    other = await _second_agent(hub)
    await other.http.post("/api/agent/state", json={"state": "not_ready"})
    customer, _ = await Customer.open(hub.ws)
    await customer.say("hello")
    offer = await agent.next("offer")
    await other.ready()
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    withdrawn = await agent.next("offer_withdrawn")
    assert withdrawn["conversation_id"] == offer["conversation_id"] and withdrawn["reason"] == "agent_not_ready"
    assert (await other.next("offer"))["conversation_id"] == customer.conversation_id  # at once, no timeout
    await other.close()


async def test_resolving_a_waiting_conversation_takes_its_offer_back(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("never mind")
    offer = await agent.next("offer")
    assert hub.add_user("boss", "pw-boss-1", "supervisor").returncode == 0
    boss = await Agent.login(hub.http, hub.ws, "boss", "pw-boss-1")
    resolved = await boss.http.post(f"/api/conversations/{offer['conversation_id']}/resolve")
    assert resolved.json()["state"] == "resolved"
    withdrawn = await agent.next("offer_withdrawn")
    assert withdrawn == {"type": "offer_withdrawn", "conversation_id": offer["conversation_id"], "reason": "resolved"}
    await boss.close()


async def test_an_agent_who_misses_offers_in_a_row_is_set_not_ready(tmp_path) -> None:
    env = {"HUB_OFFER_TIMEOUT_S": "1", "HUB_MISSED_OFFERS_LIMIT": "2"}
    with HubServer(tmp_path / "hub", env=env) as hub:
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        customer, _ = await Customer.open(hub.ws)
        await customer.say("is anyone there?")
        for _ in range(2):
            await agent.next("offer", timeout=10)
            await agent.next("offer_withdrawn", timeout=10)
        state = await agent.next("agent_state", where=lambda f: f["state"] == "not_ready", timeout=10)
        assert state["reason"] == "missed"
        me = (await agent.http.get("/api/agent/me")).json()
        assert (me["state"], me["state_reason"]) == ("not_ready", "missed")
        with pytest.raises(TimeoutError):
            await agent.next("offer", timeout=2.5)  # not ready: no more offers
        await agent.ready()
        assert (await agent.next("offer", timeout=10))["conversation_id"] == customer.conversation_id


async def test_not_ready_takes_a_reason(hub: HubServer, agent: Agent) -> None:
    lunch = await agent.http.post("/api/agent/state", json={"state": "not_ready", "reason": "lunch"})
    assert lunch.status_code == 200 and lunch.json() == {"state": "not_ready", "reason": "lunch"}
    assert (await agent.http.get("/api/agent/me")).json()["state_reason"] == "lunch"
    assert (await agent.next("agent_state", where=lambda f: f["state"] == "not_ready"))["reason"] == "lunch"
    for body, code in (({"state": "ready", "reason": "lunch"}, "invalid_field"),
                       ({"state": "not_ready", "reason": "x" * 41}, "invalid_request"),
                       ({"state": "asleep"}, "invalid_request")):
        refused = await agent.http.post("/api/agent/state", json=body)
        assert (refused.status_code, refused.json()["code"]) == (400, code)
    await agent.ready()
    assert (await agent.http.get("/api/agent/me")).json()["state_reason"] is None


async def test_queue_statistics_and_the_estimated_wait(hub: HubServer, agent: Agent) -> None:
    first, _ = await Customer.open(hub.ws)
    await first.say("human please")
    conversation_id = await agent.accept_next_offer()
    await asyncio.sleep(1.1)
    await agent.http.post(f"/api/conversations/{conversation_id}/resolve")
    await agent.http.post("/api/agent/state", json={"state": "not_ready", "reason": "break"})
    await asyncio.sleep(5.2)  # past the wallboard's cache: the handle time above is now known
    second, _ = await Customer.open(hub.ws)
    await second.say("人工")
    queued = await second.next("status", where=lambda f: f["state"] == "queued")
    assert queued["queue_position"] == 1 and queued["estimated_wait_s"] >= 1.0

    assert (await agent.http.get("/api/queues/stats")).status_code == 403  # for supervisors and admins
    async with httpx.AsyncClient(base_url=hub.http) as http:
        token = (await http.post("/api/auth/login", json={"username": "admin",
                                                          "password": hub.demo_password("admin")})).json()["token"]
        stats = (await http.get("/api/queues/stats", headers={"authorization": f"Bearer {token}"})).json()
    [general] = stats
    assert (general["offered_today"], general["answered_today"], general["waiting"]) == (2, 1, 1)
    assert general["service_level"] == 1.0 and general["average_handle_s"] >= 1.0
    assert general["agents"]["not_ready"] == 1


async def _manager(hub: HubServer) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=hub.http, timeout=60)
    token = (await http.post("/api/auth/login", json={"username": "admin",
                                                      "password": hub.demo_password("admin")})).json()["token"]
    http.headers["authorization"] = f"Bearer {token}"
    return http


async def test_a_vip_contact_goes_ahead_and_a_blocked_one_never_reaches_an_agent(hub: HubServer) -> None:
    admin = await _manager(hub)
    await publish(admin, title="Hours", question="What are your opening hours?", answer="9 to 6.")  # so the bot
    # answers first messages itself (asking to rephrase) instead of handing every conversation off at once
    regular, _ = await Customer.open(hub.ws)
    await regular.say("human")
    assert (await regular.next("status", where=lambda f: f["state"] == "queued"))["queue_position"] == 1
    vip, _ = await Customer.open(hub.ws)
    await vip.say("hello")  # begins the conversation; the bot asks to rephrase
    await vip.next("message", where=lambda f: f["role"] == "bot")
    contact_id = (await admin.get(f"/api/conversations/{vip.conversation_id}")).json()["contact_id"]
    changed = await admin.patch(f"/api/contacts/{contact_id}", json={"vip": 2})
    assert changed.status_code == 200 and changed.json()["vip"] == 2
    await vip.say("agent please")
    assert (await vip.next("status", where=lambda f: f["state"] == "queued"))["queue_position"] == 1
    assert (await regular.next("status", where=lambda f: f.get("queue_position") == 2))

    blocked, _ = await Customer.open(hub.ws, locale="zh-CN")
    await blocked.say("你好")
    await blocked.next("message", where=lambda f: f["role"] == "bot")
    contact_id = (await admin.get(f"/api/conversations/{blocked.conversation_id}")).json()["contact_id"]
    assert (await admin.patch(f"/api/contacts/{contact_id}", json={"blocked": True, "note": "abuse"})).json()["blocked"]
    await blocked.say("转人工")
    refusal = await blocked.next("message", where=lambda f: f["role"] == "system")
    assert "无法转接人工客服" in refusal["text"]
    assert (await admin.get(f"/api/conversations/{blocked.conversation_id}")).json()["state"] == "bot"

    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await agent.ready()
    offered = {(await agent.next("offer"))["conversation_id"] for _ in range(2)}
    assert offered == {vip.conversation_id, regular.conversation_id}
    bad = [await admin.patch(f"/api/contacts/{contact_id}", json=body) for body in ({"vip": 9}, {"colour": "red"})]
    assert [r.status_code for r in bad] == [400, 400]
    assert (await agent.http.patch(f"/api/contacts/{contact_id}", json={"vip": 1})).status_code == 403
    await admin.aclose()


async def test_supervisors_sockets_get_live_queue_statistics(tmp_path) -> None:
    with HubServer(tmp_path / "hub", env={"HUB_STATS_PUSH_S": "0.3"}) as hub:
        supervisor = await Agent.login(hub.http, hub.ws, "admin", hub.demo_password("admin"))
        first = await supervisor.next("queue_stats", timeout=10)
        assert first["queues"][0]["queue"] == "general"
        customer, _ = await Customer.open(hub.ws)
        await customer.say("人工")
        live = await supervisor.next("queue_stats", where=lambda f: f["queues"][0]["waiting"] == 1, timeout=10)
        assert live["queues"][0]["offered_today"] == 1
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        with pytest.raises(TimeoutError):
            await agent.next("queue_stats", timeout=1.5)  # agents do not get the wallboard
