"""Hold over the real API and sockets: the agent asks the customer to hold on, the customer's widget hears it,
the console's sockets too; resuming, or simply replying, ends it; the time on hold is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.kb import signed_in


async def _assigned(hub: HubServer, agent: Agent) -> tuple[Customer, str]:
    customer, _ = await Customer.open(hub.ws, name="Wang")
    await customer.say("人工")
    conversation_id = await agent.accept_next_offer()
    await customer.next("status", where=lambda f: f["state"] == "assigned")
    return customer, conversation_id


async def test_hold_and_resume_reach_the_customer_and_the_agent(hub: HubServer, agent: Agent) -> None:
    customer, conversation_id = await _assigned(hub, agent)
    url = f"/api/conversations/{conversation_id}"

    held = await agent.http.post(f"{url}/hold")
    assert held.status_code == 200 and held.json()["on_hold_since"] is not None
    status = await customer.next("status", where=lambda f: f.get("reason") == "hold")
    assert (status["state"], status["on_hold"]) == ("assigned", True)
    await agent.next("status", where=lambda f: f.get("on_hold") is True)
    again = await agent.http.post(f"{url}/hold")
    assert again.status_code == 409 and again.json()["code"] == "already_on_hold"

    await customer.say("还在吗？")  # the customer may still write; the agent reads it
    await agent.next("message", where=lambda f: f["text"] == "还在吗？")
    await asyncio.sleep(0.2)
    resumed = await agent.http.post(f"{url}/resume")
    assert resumed.status_code == 200 and resumed.json()["on_hold_since"] is None
    assert resumed.json()["held_s"] >= 0.2
    status = await customer.next("status", where=lambda f: f.get("reason") == "resumed")
    assert "on_hold" not in status  # false is left out of the frame
    not_held = await agent.http.post(f"{url}/resume")
    assert not_held.status_code == 409 and not_held.json()["code"] == "not_on_hold"


async def test_a_reply_ends_the_hold_and_resolving_keeps_its_time(hub: HubServer, agent: Agent) -> None:
    customer, conversation_id = await _assigned(hub, agent)
    url = f"/api/conversations/{conversation_id}"
    (await agent.http.post(f"{url}/hold")).raise_for_status()
    await asyncio.sleep(0.2)
    (await agent.reply(conversation_id, "查到了：您的订单明天送达")).raise_for_status()
    await customer.next("message", where=lambda f: f["text"].startswith("查到了"))
    await customer.next("status", where=lambda f: f.get("reason") == "resumed")
    after_reply = (await agent.http.get(url)).json()
    assert after_reply["on_hold_since"] is None and after_reply["held_s"] >= 0.2

    (await agent.http.post(f"{url}/hold")).raise_for_status()
    await asyncio.sleep(0.2)
    resolved = (await agent.http.post(f"{url}/resolve")).json()
    assert resolved["state"] == "resolved" and resolved["on_hold_since"] is None
    assert resolved["held_s"] >= after_reply["held_s"] + 0.2

    today = datetime.now(UTC).date()
    admin = await signed_in(hub.http, "admin", hub.demo_password("admin"))
    try:  # the supervisors' report counts it
        figures = (await admin.get("/api/reports/", params={"from": today.isoformat(),
                                                             "to": (today + timedelta(days=1)).isoformat()})).json()
    finally:
        await admin.aclose()
    assert figures["hold_time"] == {"count": 1, "average_s": round(resolved["held_s"], 1)}  # seconds, to a tenth


async def test_only_the_assigned_agent_holds(hub: HubServer, agent: Agent) -> None:
    _, conversation_id = await _assigned(hub, agent)
    assert hub.add_user("li", "pw-li-12345", "agent").returncode == 0
    li = await Agent.login(hub.http, hub.ws, "li", "pw-li-12345")
    try:
        refused = await li.http.post(f"/api/conversations/{conversation_id}/hold")
        assert refused.status_code == 403 and refused.json()["code"] == "not_assigned"
        missing = await agent.http.post("/api/conversations/nope/hold")
        assert missing.status_code == 404
        assert (await agent.http.get(f"/api/conversations/{conversation_id}")).json()["on_hold_since"] is None
    finally:
        await li.close()
