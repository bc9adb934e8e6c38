"""A customer on the web chat widget and an agent in the console, over real sockets and HTTP."""

from __future__ import annotations

import asyncio

import httpx

from hub.ids import new_id
from hub.models import Message, Role, utcnow
from hub.store.sqlite import SQLiteStore
from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer


async def test_customer_and_agent_talk_from_hello_to_resolve(hub: HubServer, agent: Agent) -> None:
    customer, welcome = await Customer.open(hub.ws, name="Li Lei", locale="zh-CN")
    assert welcome["history"] == [] and welcome["token"] and welcome["conversation_id"]
    assert (await customer.next("status"))["state"] == "bot"

    ack = await customer.say("我的订单还没到")
    assert ack["type"] == "ack" and ack["id"]
    echo = await customer.next("message")
    assert echo["id"] == ack["id"] and echo["role"] == "customer" and echo["text"] == "我的订单还没到"
    assert echo["created_at"].endswith("Z")
    queued = await customer.next("status", where=lambda f: f["state"] == "queued")
    assert queued["queue_position"] == 1

    offer = await agent.next("offer")
    assert offer["conversation_id"] == customer.conversation_id
    assert offer["contact"] == "Li Lei" and offer["preview"] == "我的订单还没到"
    accepted = await agent.http.post(f"/api/conversations/{offer['conversation_id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "assigned"
    assigned = await customer.next("status", where=lambda f: f["state"] == "assigned")
    assert assigned["agent"] == "agent"

    history = await agent.http.get(f"/api/conversations/{customer.conversation_id}/messages")
    assert [m["text"] for m in history.json()] == ["我的订单还没到"]

    sent = await agent.reply(customer.conversation_id, "您好，我来帮您查一下")
    assert sent.status_code == 201
    reply = await customer.next("message", where=lambda f: f["role"] == "agent")
    assert reply["text"] == "您好，我来帮您查一下" and reply["author"] == "agent"

    await customer.say("谢谢")
    seen = await agent.next("message", where=lambda f: f["text"] == "谢谢")
    assert seen["role"] == "customer" and seen["conversation_id"] == customer.conversation_id

    resolved = await agent.http.post(f"/api/conversations/{customer.conversation_id}/resolve")
    assert resolved.json()["state"] == "resolved"
    assert (await customer.next("status", where=lambda f: f["state"] == "resolved"))
    await customer.close()


async def test_the_pages_and_the_widget_script_are_served_with_one_charset_to_get_and_head(hub: HubServer) -> None:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        for path, kind in (("/", "text/html"), ("/console", "text/html"), ("/wallboard", "text/html"),
                           ("/admin", "text/html"), ("/editor", "text/html"), ("/reports", "text/html"),
                           ("/widget.js", "text/javascript")):
            got, head = await http.get(path), await http.head(path)
            assert (got.status_code, head.status_code) == (200, 200), path
            assert got.headers["content-type"] == head.headers["content-type"] == f"{kind}; charset=utf-8"
            assert got.headers["cache-control"] == "no-cache" and got.content and not head.content
        assert "</html>" in (await http.get("/console")).text


async def test_agent_can_reply_over_the_websocket(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("human please")
    conversation_id = await agent.accept_next_offer()
    await agent.send({"type": "message", "conversation_id": conversation_id, "text": "Hi!", "client_id": "a1"})
    ack = await agent.next("ack")
    assert ack["client_id"] == "a1" and ack["id"]
    assert (await customer.next("message", where=lambda f: f["role"] == "agent"))["text"] == "Hi!"
    await customer.close()


async def test_the_agent_sees_every_message_sent_around_the_moment_of_accepting(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("m0")
    offer = await agent.next("offer")
    for n in range(1, 4):
        await customer.say(f"m{n}")
    accept = asyncio.create_task(agent.http.post(f"/api/conversations/{offer['conversation_id']}/accept"))
    for n in range(4, 12):
        await customer.say(f"m{n}")
    assert (await accept).status_code == 200
    history = await agent.http.get(f"/api/conversations/{customer.conversation_id}/messages")
    before = {m["text"] for m in history.json()}
    live = set()
    while len(before | live) < 12:
        live.add((await agent.next("message"))["text"])
    assert before | live == {f"m{n}" for n in range(12)}


async def test_after_a_transfer_the_old_agent_no_longer_follows_the_conversation(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("first")
    conversation_id = await agent.accept_next_offer()
    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    await agent.http.post(f"/api/conversations/{conversation_id}/transfer")
    await agent.next("status", where=lambda f: f["state"] == "queued")
    await customer.say("after the transfer")
    await agent.send({"type": "ping"})
    await agent.next("pong")
    await asyncio.sleep(0.2)
    assert not [f for f in agent.seen if f.get("text") == "after the transfer"]


async def test_an_agent_may_reuse_a_client_id_in_another_conversation(hub: HubServer, agent: Agent) -> None:
    first, _ = await Customer.open(hub.ws)
    second, _ = await Customer.open(hub.ws)
    await first.say("one")
    await second.say("two")
    ids = {await agent.accept_next_offer(), await agent.accept_next_offer()}
    replies = [await agent.http.post(f"/api/conversations/{c}/messages", json={"text": f"to {c}", "client_id": "r1"})
               for c in sorted(ids)]
    assert [r.status_code for r in replies] == [201, 201]
    assert {r.json()["conversation_id"] for r in replies} == ids
    resend = {"text": "x", "client_id": "r1"}
    again = await agent.http.post(f"/api/conversations/{sorted(ids)[0]}/messages", json=resend)
    assert again.json()["id"] == replies[0].json()["id"]  # a true resend is still stored once


async def test_a_reply_resent_after_resolving_is_acknowledged_again_and_a_new_one_conflicts(
        hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("help")
    conversation_id = await agent.accept_next_offer()
    url = f"/api/conversations/{conversation_id}/messages"
    sent = await agent.http.post(url, json={"text": "done, bye", "client_id": "last-1"})
    assert (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).status_code == 200
    again = await agent.http.post(url, json={"text": "done, bye", "client_id": "last-1"})  # its answer was lost
    assert (again.status_code, again.json()["id"]) == (201, sent.json()["id"])
    late = await agent.http.post(url, json={"text": "one more thing", "client_id": "last-2"})
    assert (late.status_code, late.json()["code"]) == (409, "not_assigned")  # theirs, but no longer
    await customer.say("wait, one more question")  # reopens it: back to the bot, no agent
    reopened = await agent.http.post(url, json={"text": "done, bye", "client_id": "last-1"})
    assert (reopened.status_code, reopened.json()["id"]) == (201, sent.json()["id"])
    assert hub.add_user("wu", "pw-wu-123456", "agent").returncode == 0
    wu = await Agent.login(hub.http, hub.ws, "wu", "pw-wu-123456")
    try:
        other = await wu.http.post(url, json={"text": "done, bye", "client_id": "last-1"})
        assert (other.status_code, other.json()["code"]) == (403, "not_assigned")  # never theirs
    finally:
        await wu.close()
    history = (await agent.http.get(url)).json()
    assert [m["text"] for m in history if m["role"] == "agent"] == ["done, bye"]  # stored once
    await customer.close()


async def test_the_customer_sees_an_agent_renamed_meanwhile_by_the_new_name(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("a person please")
    conversation_id = await agent.accept_next_offer()
    await agent.reply(conversation_id, "hello")
    assert (await customer.next("message", where=lambda f: f["role"] == "agent"))["author"] == "agent"
    admin = await Agent.login(hub.http, hub.ws, "admin", hub.demo_password("admin"))
    try:
        renamed = await admin.http.patch(f"/api/users/{agent.user_id}", json={"display_name": "王芳"})
        assert renamed.status_code == 200
    finally:
        await admin.close()
    await agent.reply(conversation_id, "still me")
    said = await customer.next("message", where=lambda f: f.get("text") == "still me")
    assert said["author"] == "王芳"
    await customer.close()


async def test_each_side_sees_the_other_typing_and_nothing_is_stored(hub: HubServer, agent: Agent) -> None:
    customer, _ = await Customer.open(hub.ws, name="Typist")
    await customer.say("a person please")
    conversation_id = await agent.accept_next_offer()
    await customer.send({"type": "typing"})
    typing = await agent.next("typing")
    assert typing == {"type": "typing", "conversation_id": conversation_id, "role": "customer"}
    await agent.send({"type": "typing", "conversation_id": conversation_id})
    assert (await customer.next("typing", where=lambda f: f["role"] == "agent"))["conversation_id"] == conversation_id
    assert not [f for f in customer.seen if f["type"] == "typing" and f["role"] == "customer"]  # not its own back
    await agent.send({"type": "typing", "conversation_id": "someone-elses"})
    assert (await agent.next("error"))["code"] == "not_found"
    history = (await agent.http.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert [m["text"] for m in history] == ["a person please"]


async def test_two_tabs_of_one_customer_share_the_conversation_before_anything_is_said(hub: HubServer) -> None:
    first, welcome = await Customer.open(hub.ws)
    second, again = await Customer.open(hub.ws, token=first.token)  # the widget in another tab
    assert again["conversation_id"] == welcome["conversation_id"]
    ack = await first.say("from the first tab", client_id="tab-1")
    echo = await second.next("message", where=lambda f: f["text"] == "from the first tab")
    assert echo["conversation_id"] == ack["conversation_id"] == welcome["conversation_id"]
    assert (await second.say("and from the second", client_id="tab-2"))["conversation_id"] == welcome["conversation_id"]
    _, later = await Customer.open(hub.ws, token=first.token)
    assert [(m["text"], m["client_id"]) for m in later["history"]] == [("from the first tab", "tab-1"),
                                                                       ("and from the second", "tab-2")]


async def test_a_long_conversation_comes_back_whole_on_reconnect(hub: HubServer) -> None:
    customer, _ = await Customer.open(hub.ws)
    await customer.say("the first of many")
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")  # the hub's own store, written to directly: quicker
    await store.open()
    try:
        conversation = await store.get_conversation(customer.conversation_id)
        for n in range(1_100):  # more than two of the store's pages of reading
            await store.add_message(Message(id=new_id(), conversation_id=conversation.id, seq=0, role=Role.BOT,
                                            text=f"answer {n}", channel=conversation.channel, created_at=utcnow()))
    finally:
        await store.close()
    _, welcome = await Customer.open(hub.ws, token=customer.token)
    assert [m["seq"] for m in welcome["history"]] == list(range(1, 1_102))
    _, later = await Customer.open(hub.ws, token=customer.token, after_seq=600, conversation_id=conversation.id)
    assert [m["seq"] for m in later["history"]] == list(range(601, 1_102))
