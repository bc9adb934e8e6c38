"""Every bad input gets an error in the protocol's own terms; the socket, the conversation and every
acknowledged message survive."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer

BAD_FRAMES = [
    ("{not json", "bad_json"),
    ("[]", "invalid_frame"),
    ('{"text": "no type"}', "missing_field"),
    ('{"type": "shout", "text": "hi"}', "unknown_type"),
    ('{"type": "message", "text": "no client id"}', "missing_field"),
    ('{"type": "message", "client_id": "b1"}', "missing_field"),
    ('{"type": "message", "client_id": "b2", "text": 42}', "invalid_field"),
    ('{"type": "message", "client_id": "b3", "text": "   "}', "empty_text"),
    (json.dumps({"type": "message", "client_id": "b4", "text": "长" * 1366}), "text_too_long"),  # 4098 bytes
    ('{"type": "hello", "token": null}', "already_started"),
    ('{"type": "feedback", "helpful": false}', "missing_field"),
    ('{"type": "feedback", "message_id": "m1", "helpful": "nah"}', "invalid_field"),
    ('{"type": "feedback", "message_id": "no-such-message", "helpful": false}', "unknown_message"),
]


async def test_every_bad_frame_gets_an_error_and_the_socket_survives(hub: HubServer) -> None:
    customer, _ = await Customer.open(hub.ws)
    kept = await customer.say("before the bad frames")
    for raw, code in BAD_FRAMES:
        await customer.send(raw)
        error = await customer.next("error")
        assert error["code"] == code, raw
        assert error["detail"] and "Traceback" not in error["detail"] and ".py" not in error["detail"]
    after = await customer.say("after the bad frames")
    assert after["type"] == "ack"
    resumed, welcome = await Customer.open(hub.ws, token=customer.token)
    texts = [m["text"] for m in welcome["history"]]
    assert texts == ["before the bad frames", "after the bad frames"]
    assert kept["id"] == welcome["history"][0]["id"]
    await customer.close()
    await resumed.close()


async def test_the_error_names_the_client_id_of_the_refused_message(hub: HubServer) -> None:
    customer, _ = await Customer.open(hub.ws)
    refused = await customer.say("x" * 5000, client_id="long-1")
    assert refused == {"type": "error", "code": "text_too_long", "detail": refused["detail"], "client_id": "long-1"}
    exactly_at_limit = await customer.say("x" * 4096)
    assert exactly_at_limit["type"] == "ack"
    await customer.close()


async def test_a_message_before_hello_is_refused(hub: HubServer) -> None:
    customer = await Customer.connect(hub.ws)
    await customer.send({"type": "message", "client_id": "early", "text": "hi"})
    assert (await customer.next("error"))["code"] == "hello_required"
    await customer.send({"type": "ping"})
    assert await customer.next("pong")
    await customer.close()


async def test_a_history_cursor_beyond_any_store_integer_is_refused_as_a_field(hub: HubServer) -> None:
    customer = await Customer.connect(hub.ws)
    await customer.send({"type": "hello", "token": None, "after_seq": 10**23})
    assert (await customer.next("error"))["code"] == "invalid_field"
    await customer.send({"type": "hello", "token": None, "after_seq": 2**63 - 1})
    assert (await customer.next("welcome"))["history"] == []
    await customer.close()


async def test_an_unknown_token_is_refused_and_a_new_session_can_start(hub: HubServer) -> None:
    customer = await Customer.connect(hub.ws)
    await customer.send({"type": "hello", "token": "made-up-token"})
    assert (await customer.next("error"))["code"] == "unknown_token"
    await customer.send({"type": "hello", "token": None})
    assert (await customer.next("welcome"))["token"]
    await customer.close()


async def test_a_flood_is_rate_limited_without_losing_the_socket_or_acked_messages(hub: HubServer) -> None:
    customer, _ = await Customer.open(hub.ws)
    acked = await customer.say("important")
    for n in range(120):
        await customer.send({"type": "message", "client_id": f"f{n}", "text": f"flood {n}"})
    answers = [await customer.next(where=lambda f: f["type"] in ("ack", "error") and
                                   f.get("client_id", "").startswith("f")) for _ in range(120)]
    limited = [a for a in answers if a["type"] == "error"]
    assert limited and all(a["code"] == "rate_limited" for a in limited)
    stored_ids = {a["client_id"] for a in answers if a["type"] == "ack"}
    await asyncio.sleep(1.0)
    assert (await customer.say("after the flood"))["type"] == "ack"
    _, welcome = await Customer.open(hub.ws, token=customer.token)
    texts = [m["text"] for m in welcome["history"]]
    assert texts[0] == "important" and acked["id"] == welcome["history"][0]["id"]
    assert {f"f{t.split()[1]}" for t in texts if t.startswith("flood")} == stored_ids  # acked ⇔ stored
    assert texts[-1] == "after the flood"
    await customer.close()


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("post", "/api/auth/login", b"{nope", 400, "invalid_request"),
    ("post", "/api/auth/login", b'{"username": "agent"}', 400, "invalid_request"),
    ("post", "/api/auth/login", b'{"username": "agent", "password": "wrong"}', 401, "bad_credentials"),
    ("post", "/api/agent/state", b'{"state": "ready"}', 401, "unauthorized"),
    ("get", "/api/nothing-here", None, 404, "not_found"),
    ("post", "/api/auth/login", b"[" * 1000 + b"]" * 1000, 400, "invalid_request"),  # deeper than the decoder goes
    ("post", "/api/auth/login", b'{"username": "\xff", "password": "x"}', 400, "invalid_request"),  # not UTF-8
])
async def test_bad_rest_requests_get_a_stable_error_code(
    hub: HubServer, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        response = await http.request(method, path, content=body)
    assert response.status_code == status
    assert response.json()["code"] == code and "Traceback" not in response.text


async def test_agent_rest_errors(hub: HubServer, agent: Agent) -> None:
    http = agent.http
    assert (await http.post("/api/agent/state", json={"state": "dancing"})).json()["code"] == "invalid_request"
    missing = await http.post("/api/conversations/nope/accept")
    assert (missing.status_code, missing.json()["code"]) == (409, "offer_expired")
    unknown = await http.get("/api/conversations/nope")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    customer, _ = await Customer.open(hub.ws)
    await customer.say("help")
    offer = await agent.next("offer")
    conversation_id = offer["conversation_id"]
    early = await agent.reply(conversation_id, "not mine yet")
    assert (early.status_code, early.json()["code"]) == (403, "not_assigned")
    assert (await http.post(f"/api/conversations/{conversation_id}/accept")).status_code == 200
    again = await http.post(f"/api/conversations/{conversation_id}/accept")
    assert (again.status_code, again.json()["code"]) == (409, "offer_expired")
    empty = await agent.reply(conversation_id, "  ")
    assert (empty.status_code, empty.json()["code"]) == (400, "empty_text")
    long = await agent.reply(conversation_id, "y" * 4097)
    assert (long.status_code, long.json()["code"]) == (400, "text_too_long")
    bad = await http.post(f"/api/conversations/{conversation_id}/messages", content=b'{"text": 5}')
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_request")
    await agent.send("{oops")
    assert (await agent.next("error"))["code"] == "bad_frame"
    await agent.send('{"type": "ping", "x": ' + "[" * 30_000 + "]" * 30_000 + "}")
    assert (await agent.next("error"))["code"] == "bad_frame"
    await agent.send({"type": "ping"})
    assert await agent.next("pong")
    beyond = await http.get(f"/api/conversations/{conversation_id}/messages", params={"after": 2**63})
    assert (beyond.status_code, beyond.json()["code"]) == (400, "invalid_request")
    nobody = await http.post(f"/api/conversations/{conversation_id}/transfer", json={"agent_id": "nobody"})
    assert (nobody.status_code, nobody.json()["code"]) == (404, "unknown_agent")
    assert (await http.get(f"/api/conversations/{conversation_id}")).json()["state"] == "assigned"  # still theirs
    deep = '{"type": "message", "client_id": "deep", "text": ' + "[" * 30_000 + "]" * 30_000 + "}"
    await customer.send(deep)
    assert (await customer.next("error"))["code"] == "bad_json"
    assert (await customer.say("still here"))["type"] == "ack"
    await customer.close()


async def test_login_attempts_are_rate_limited(hub: HubServer) -> None:
    async with httpx.AsyncClient(base_url=hub.http) as http:
        codes = [(await http.post("/api/auth/login", json={"username": "agent", "password": "guess"})).status_code
                 for _ in range(12)]
        assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
        for spelling in ("AGENT", "ａｇｅｎｔ", "𝐚𝐠𝐞𝐧𝐭"):  # sign-in finds the same user by these: so does the limit
            again = await http.post("/api/auth/login", json={"username": spelling, "password": "guess"})
            assert again.status_code == 429, spelling
