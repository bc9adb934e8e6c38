"""The bot in a real hub: a customer's question answered from the KB, then 转人工 to an agent, and back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.kb import publish, signed_in
from tests.support.openai_server import OpenAIServer

HOURS = {"title": "Opening hours", "question": "What are your opening hours?",
         "answer": "We are open 9:00-18:00, Monday to Friday.", "similar": ["when are you open", "营业时间是几点"]}
REFUND = {"title": "Refunds", "question": "How do I get a refund?", "answer": "Open Orders, then Refund.",
          "similar": ["I want my money back", "怎么退款"]}


@pytest.fixture
async def admin(hub: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    http = await signed_in(hub.http, "admin", hub.demo_password("admin"))
    yield http
    await http.aclose()


async def test_bot_answers_then_hands_off_on_request_and_the_agent_takes_over(
        hub: HubServer, agent: Agent, admin: httpx.AsyncClient) -> None:
    hours = await publish(admin, **HOURS)
    await publish(admin, **REFUND)
    customer, _ = await Customer.open(hub.ws, name="王芳", locale="zh-CN")

    await customer.say("when are you open?")
    answer = await customer.next("message", where=lambda f: f["role"] == "bot")
    assert answer["text"] == HOURS["answer"] and answer["source"] == f"{hours['id']}@1"

    await customer.say("转人工")
    queued = await customer.next("status", where=lambda f: f["state"] == "queued")
    assert queued["reason"] == "customer_request"
    offer = await agent.next("offer")
    assert offer["reason"] == "customer_request"
    assert "asked for a person" in offer["summary"] and "when are you open?" in offer["summary"]
    (await agent.http.post(f"/api/conversations/{offer['conversation_id']}/accept")).raise_for_status()
    listed = await agent.http.get(f"/api/conversations/{customer.conversation_id}")
    assert listed.json()["handoff_reason"] == "customer_request"

    await customer.say("怎么退款")  # assigned to a person: the bot stays silent
    asked = await agent.next("message", where=lambda f: f["text"] == "怎么退款")
    assist = await agent.next("suggestions", where=lambda f: f["message_id"] == asked["id"])
    assert assist["conversation_id"] == customer.conversation_id
    assert assist["suggestions"][0]["title"] == "Refunds"
    assert assist["suggestions"][0]["answer"] == REFUND["answer"]
    on_demand = (await agent.http.get(f"/api/conversations/{customer.conversation_id}/suggestions")).json()
    assert on_demand["message_id"] == assist["message_id"] and on_demand["suggestions"] == assist["suggestions"]
    await agent.reply(customer.conversation_id, "我来帮您处理退款")
    await customer.next("message", where=lambda f: f["role"] == "agent")
    history = await agent.http.get(f"/api/conversations/{customer.conversation_id}/messages")
    roles = [m["role"] for m in history.json()]
    assert roles == ["customer", "bot", "customer", "customer", "agent"]

    back = await agent.http.post(f"/api/conversations/{customer.conversation_id}/to-bot")
    assert back.status_code == 200 and back.json()["state"] == "bot"
    await customer.say("营业时间是几点")
    again = await customer.next("message", where=lambda f: f["role"] == "bot")
    assert again["source"] == f"{hours['id']}@1"


async def test_a_not_helpful_answer_hands_off_and_unanswered_questions_are_logged(
        hub: HubServer, agent: Agent, admin: httpx.AsyncClient) -> None:
    await publish(admin, **HOURS)
    customer, _ = await Customer.open(hub.ws)
    await customer.say("what is the capital of mongolia")
    rephrase = await customer.next("message", where=lambda f: f["role"] == "bot")
    assert rephrase["source"] == "rephrase"
    await customer.send({"type": "feedback", "message_id": rephrase["id"], "helpful": False})
    refused = await customer.next("error")
    assert refused["code"] == "unknown_message"  # only answers from the KB take feedback

    await customer.say("when are you open?")
    answer = await customer.next("message", where=lambda f: f["role"] == "bot" and f["source"] != "rephrase")
    await customer.send({"type": "feedback", "message_id": answer["id"], "helpful": False, "comment": "wrong"})
    assert (await customer.next("feedback_received"))["message_id"] == answer["id"]
    queued = await customer.next("status", where=lambda f: f["state"] == "queued")
    assert queued["reason"] == "negative_feedback"
    offer = await agent.next("offer")
    assert offer["suggestions"] and offer["suggestions"][0]["title"] == "Opening hours"

    misses = (await admin.get("/api/kb/misses")).json()
    assert [m["text"] for m in misses] == ["what is the capital of mongolia"]
    assert misses[0]["reason"] == "rephrase"


async def test_the_bot_hands_off_after_two_unanswered_turns(hub: HubServer, agent: Agent,
                                                            admin: httpx.AsyncClient) -> None:
    await publish(admin, **HOURS)
    customer, _ = await Customer.open(hub.ws)
    await customer.say("tell me about volcanoes")
    await customer.next("message", where=lambda f: f["role"] == "bot")
    await customer.say("what about glaciers then")
    queued = await customer.next("status", where=lambda f: f["state"] == "queued")
    assert queued["reason"] == "unanswered_turns"
    await customer.say("hello?")  # waiting in the queue: the bot says nothing more
    await agent.accept_next_offer()
    history = await agent.http.get(f"/api/conversations/{customer.conversation_id}/messages")
    assert [m["role"] for m in history.json()] == ["customer", "bot", "customer", "customer"]


async def test_with_an_llm_configured_the_bot_words_its_answer_and_drafts_for_the_agent(tmp_path: Path) -> None:
    with OpenAIServer() as llm:
        llm.script.reply = "We are open 9:00-18:00, Monday to Friday."
        env = {"HUB_LLM_KIND": "openai", "HUB_LLM_BASE_URL": llm.url, "HUB_LLM_MODEL": "test-model",
               "HUB_OFFER_TIMEOUT_S": "3"}
        with HubServer(tmp_path / "hub", env=env) as hub:
            admin = await signed_in(hub.http, "admin", hub.demo_password("admin"))
            hours = await publish(admin, **HOURS)
            await admin.aclose()
            customer, _ = await Customer.open(hub.ws)
            await customer.say("when are you open?")
            answer = await customer.next("message", where=lambda f: f["role"] == "bot")
            assert answer["text"] == llm.script.reply and answer["source"] == f"{hours['id']}@1"
            assert "when are you open?" in llm.requests[-1].messages[-1]["content"]

            llm.script.reply = "Our office at 42 Unknown Street is open all night."  # not in the passages
            await customer.say("what are your opening hours")
            fallback = await customer.next("message", where=lambda f: f["role"] == "bot" and f["seq"] > answer["seq"])
            assert fallback["text"] == HOURS["answer"]  # refused by the guard: the extractive answer

            agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
            await agent.ready()
            llm.script.reply = "We are open 9:00-18:00, Monday to Friday."
            await customer.say("human")
            await agent.accept_next_offer()
            await customer.say("and on weekends, when are you open?")
            assist = await agent.next("suggestions", where=lambda f: "draft" in f)
            assert assist["draft"] == llm.script.reply


async def test_a_message_resent_while_the_bot_answers_it_is_answered_once(hub: HubServer,
                                                                           admin: httpx.AsyncClient) -> None:
    await publish(admin, **HOURS)
    for attempt in range(10):
        customer, _ = await Customer.open(hub.ws)
        await customer.send({"type": "message", "client_id": "lost", "text": "when are you open?"})
        await customer.close()  # the socket dropped before the ack came; the widget resends on its new one
        again, _ = await Customer.open(hub.ws, token=customer.token)
        assert (await again.say("when are you open?", client_id="lost"))["type"] == "ack"
        await again.next("message", where=lambda f: f["role"] == "bot")
        await asyncio.sleep(0.2)  # time for a second answer, were one coming
        _, later = await Customer.open(hub.ws, token=customer.token)
        assert [m["role"] for m in later["history"]] == ["customer", "bot"], attempt
