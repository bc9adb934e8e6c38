"""The customer rates a resolved conversation (1-5 and a comment) over the web chat protocol."""

from __future__ import annotations

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer


async def test_a_resolved_conversation_is_rated_once(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws, name="Wang Fang", locale="zh-CN")
    await customer.send({"type": "survey", "rating": 5})  # nothing said yet: no conversation to rate
    assert (await customer.next("error"))["code"] == "not_resolved"
    await customer.say("我要找人工客服")
    conversation_id = await agent.accept_next_offer()

    await customer.send({"type": "survey", "rating": 5})
    early = await customer.next("error")
    assert early["code"] == "not_resolved"

    (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).raise_for_status()
    resolved = await customer.next("status", where=lambda f: f["state"] == "resolved")
    assert "csat" not in resolved  # not rated yet: the widget asks

    await customer.send({"type": "survey", "rating": 6})
    assert (await customer.next("error"))["code"] == "invalid_field"
    await customer.send({"type": "survey", "rating": 4, "comment": "回复很快"})
    received = await customer.next("survey_received")
    assert received == {"type": "survey_received", "conversation_id": conversation_id, "rating": 4}
    await customer.send({"type": "survey", "rating": 1})
    assert (await customer.next("error"))["code"] == "already_rated"

    rated = (await agent.http.get(f"/api/conversations/{conversation_id}")).json()
    assert (rated["csat"], rated["csat_comment"]) == (4, "回复很快")

    again, _ = await Customer.open(hub.ws, token=customer.token)  # a reload: rated, so no survey
    status = await again.next("status")
    assert status["state"] == "resolved" and status["csat"] == 4
