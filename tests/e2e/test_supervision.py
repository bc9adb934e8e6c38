"""Supervisors in a live conversation: a whisper reaches the agent only (never the customer, not even in
the history after a reconnect), and a barge-in reaches the customer in the agent's place."""

from __future__ import annotations

from hub.api.agent_ws import MAX_MONITORED
from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer


async def test_a_whisper_reaches_the_agent_only_and_a_barge_in_reaches_the_customer(hub: HubServer,
                                                                                    agent: Agent) -> None:
    assert hub.add_user("boss", "pw-boss-123", "supervisor", "--display-name", "Chen").returncode == 0
    boss = await Agent.login(hub.http, hub.ws, "boss", "pw-boss-123")
    customer, _ = await Customer.open(hub.ws)
    try:
        await customer.say("my bill is wrong")
        conversation_id = await agent.accept_next_offer()
        url = f"/api/conversations/{conversation_id}"

        refused = await agent.http.post(f"{url}/whisper", json={"text": "hi"})
        assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
        for body in ({"text": ""}, {"text": "x" * 5000}, {}):
            assert (await boss.http.post(f"{url}/whisper", json=body)).status_code == 400

        whisper = await boss.http.post(f"{url}/whisper", json={"text": "offer the 20% refund"})
        assert whisper.status_code == 201 and whisper.json()["internal"] is True
        heard = await agent.next("message", where=lambda f: f["text"] == "offer the 20% refund")
        assert heard["role"] == "supervisor" and heard["author"] == "Chen" and heard["internal"] is True
        await boss.next("message", where=lambda f: f["text"] == "offer the 20% refund")  # their own copy

        await agent.reply(conversation_id, "we can refund 20%")
        await customer.next("message", where=lambda f: f["text"] == "we can refund 20%")
        barge = await boss.http.post(f"{url}/messages", json={"text": "I am the supervisor, it is approved"})
        assert barge.status_code == 201
        said = await customer.next("message", where=lambda f: f["text"].startswith("I am the supervisor"))
        assert said["role"] == "agent" and said["author"] == "Chen"
        await agent.reply(conversation_id, "anything else?")  # everything sent before it is read by now
        await customer.next("message", where=lambda f: f["text"] == "anything else?")
        assert not [f for f in customer.seen if "20% refund" in str(f.get("text"))]  # the whisper never came

        again, welcome = await Customer.open(hub.ws, token=customer.token)
        assert "offer the 20% refund" not in [m["text"] for m in welcome["history"]]
        await again.close()
        staff = (await agent.http.get(f"{url}/messages")).json()
        assert [m["text"] for m in staff if m.get("internal")] == ["offer the 20% refund"]

        await agent.http.post(f"{url}/resolve")
        late = await boss.http.post(f"{url}/whisper", json={"text": "too late"})
        assert late.status_code == 409 and late.json()["code"] == "not_assigned"
    finally:
        await customer.close()
        await boss.close()


async def test_silent_monitoring_over_the_supervisors_socket(hub: HubServer, agent: Agent) -> None:
    assert hub.add_user("boss", "pw-boss-123", "supervisor").returncode == 0
    boss = await Agent.login(hub.http, hub.ws, "boss", "pw-boss-123")
    customer, _ = await Customer.open(hub.ws)
    try:
        await customer.say("hello?")
        conversation_id = await agent.accept_next_offer()
        live = (await boss.http.get("/api/conversations/live")).json()
        assert [c["id"] for c in live] == [conversation_id] and live[0]["agent_id"] == agent.user_id
        assert (await agent.http.get("/api/conversations/live")).status_code == 403

        await agent.send({"type": "monitor", "conversation_id": conversation_id})
        assert (await agent.next("error"))["code"] == "role_forbidden"
        await boss.send({"type": "monitor", "conversation_id": "nope"})
        assert (await boss.next("error"))["code"] == "not_found"
        await boss.send({"type": "monitor", "conversation_id": conversation_id})
        await boss.next("monitoring")
        await customer.say("still there?")
        await agent.reply(conversation_id, "yes")
        for text in ("still there?", "yes"):
            await boss.next("message", where=lambda f, text=text: f["text"] == text)
        await boss.send({"type": "unmonitor", "conversation_id": conversation_id})
        await boss.next("unmonitored")
        await customer.say("after")
        await agent.reply(conversation_id, "marker")
        await agent.next("message", where=lambda f: f["text"] == "after")
        await boss.send({"type": "ping"})
        await boss.next("pong")
        assert not [f for f in boss.seen if f.get("text") == "after"]
    finally:
        await customer.close()
        await boss.close()


async def test_monitoring_beyond_the_limit_is_refused_not_ignored(hub: HubServer) -> None:
    assert hub.add_user("boss", "pw-boss-123", "supervisor").returncode == 0
    boss = await Agent.login(hub.http, hub.ws, "boss", "pw-boss-123")
    customers = []
    try:
        for n in range(MAX_MONITORED + 1):
            customer, _ = await Customer.open(hub.ws)
            await customer.say(f"waiting {n}")
            customers.append(customer)
        for customer in customers[:MAX_MONITORED]:
            await boss.send({"type": "monitor", "conversation_id": customer.conversation_id})
            await boss.next("monitoring")
        await boss.send({"type": "monitor", "conversation_id": customers[-1].conversation_id})
        assert (await boss.next("error"))["code"] == "too_many_monitored"
        await boss.send({"type": "unmonitor", "conversation_id": customers[0].conversation_id})
        await boss.next("unmonitored")
        await boss.send({"type": "monitor", "conversation_id": customers[-1].conversation_id})
        assert (await boss.next("monitoring"))["conversation_id"] == customers[-1].conversation_id
    finally:
        for customer in customers:
            await customer.close()
        await boss.close()
