"""The agents' desk over the real API: canned responses and wrap-up codes set by admins, internal notes, and
resolving with a wrap-up code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.kb import signed_in

CANNED = [{"shortcut": "hello", "title": "Greeting", "text": "您好，请问有什么可以帮您？"},
          {"shortcut": "bye", "title": "Closing", "text": "感谢您的咨询，再见！"}]
CODES = [{"code": "refund", "label": "退款"}, {"code": "info", "label": "咨询"}]


@pytest.fixture
async def admin(hub: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    http = await signed_in(hub.http, "admin", hub.demo_password("admin"))
    yield http
    await http.aclose()


async def test_admins_set_the_desk_and_every_agent_reads_it(admin: httpx.AsyncClient, agent: Agent) -> None:
    assert (await agent.http.get("/api/desk/canned")).json() == []
    assert (await admin.put("/api/desk/canned", json=CANNED)).json() == CANNED
    assert (await admin.put("/api/desk/wrap-up-codes", json=CODES)).status_code == 200
    assert (await agent.http.get("/api/desk/canned")).json() == CANNED
    assert (await agent.http.get("/api/desk/wrap-up-codes")).json() == CODES

    refused = await agent.http.put("/api/desk/canned", json=[])
    assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
    twice = await admin.put("/api/desk/canned", json=[CANNED[0], {**CANNED[1], "shortcut": "HELLO"}])
    assert twice.status_code == 400 and twice.json()["code"] == "duplicate_shortcut"
    bad = await admin.put("/api/desk/wrap-up-codes", json=[{"code": "has space", "label": "x"}])
    assert bad.status_code == 400
    assert (await agent.http.get("/api/desk/canned")).json() == CANNED  # nothing half-applied


async def test_a_note_stays_with_staff_and_a_resolution_is_filed(hub: HubServer, admin: httpx.AsyncClient,
                                                                  agent: Agent) -> None:
    await admin.put("/api/desk/wrap-up-codes", json=CODES)
    customer, _ = await Customer.open(hub.ws, name="Li Lei")
    await customer.say("我要找人工客服")
    conversation_id = await agent.accept_next_offer()

    noted = await agent.http.post(f"/api/conversations/{conversation_id}/notes", json={"text": "客户很着急"})
    assert noted.status_code == 201 and noted.json()["internal"] is True
    await agent.next("message", where=lambda f: f["text"] == "客户很着急" and f["internal"])
    await agent.reply(conversation_id, "您好")
    await customer.next("message", where=lambda f: f["text"] == "您好")
    assert not [f for f in customer.seen if f.get("text") == "客户很着急"], "a note reached the customer"
    _, welcome = await Customer.open(hub.ws, token=customer.token)
    assert "客户很着急" not in [m["text"] for m in welcome["history"]]

    unknown = await agent.http.post(f"/api/conversations/{conversation_id}/resolve", json={"wrap_up_code": "x"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_wrap_up_code"
    resolved = await agent.http.post(f"/api/conversations/{conversation_id}/resolve",
                                     json={"wrap_up_code": "refund", "note": "已退款"})
    assert resolved.status_code == 200
    assert (resolved.json()["state"], resolved.json()["wrap_up_code"], resolved.json()["wrap_up_note"]) == \
        ("resolved", "refund", "已退款")


async def test_an_agent_reads_earlier_conversations_only_through_one_of_theirs(tmp_path: Path) -> None:
    with HubServer(tmp_path / "hub", env={"HUB_REOPEN_WINDOW_S": "0"}) as hub:
        assert hub.add_user("li", "pw-li-12345", "agent", "--display-name", "Li Na").returncode == 0
        li = await Agent.login(hub.http, hub.ws, "li", "pw-li-12345")
        await li.ready()
        customer, _ = await Customer.open(hub.ws, name="Zhou")
        await customer.say("a person please")
        first = await li.accept_next_offer()  # Li handles the customer's first conversation
        (await li.http.post(f"/api/conversations/{first}/resolve")).raise_for_status()
        (await li.http.post("/api/agent/state", json={"state": "offline"})).raise_for_status()

        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        stranger, _ = await Customer.open(hub.ws, name="Someone else")
        await stranger.say("a person please")
        other = await agent.accept_next_offer()
        (await agent.http.post(f"/api/conversations/{other}/resolve")).raise_for_status()
        await customer.say("me again, a person please")
        second = await agent.accept_next_offer()

        history = (await agent.http.get(f"/api/conversations/{second}/history")).json()
        assert [c["id"] for c in history] == [second, first]
        assert (await agent.http.get(f"/api/conversations/{first}/messages")).status_code == 403  # Li's
        earlier = await agent.http.get(f"/api/conversations/{first}/messages", params={"via": second})
        assert [m["text"] for m in earlier.json()] == ["a person please"]
        customer_of_other = await li.http.get(f"/api/conversations/{other}/messages", params={"via": first})
        assert customer_of_other.status_code == 403 and customer_of_other.json()["code"] == "not_assigned"
        colleagues = {c["name"]: c["state"] for c in (await agent.http.get("/api/agent/colleagues")).json()}
        assert colleagues == {"Li Na": "offline", "admin": "offline"}
        await agent.close()
        await li.close()
