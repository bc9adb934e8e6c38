"""Queues, agents' skills and users (their accounts and roles) configured through the API of a real hub, taking
effect at once."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer

TECH = {"id": "tech", "name": "技术支持", "skills": {"tech": 2},
        "overflow": [{"after_s": 60, "min_proficiency": 1}, {"after_s": 300, "offer": "ticket"}]}
GENERAL = {"id": "general", "name": "General"}


async def admin_client(hub: HubServer) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=hub.http, timeout=10)
    token = (await http.post("/api/auth/login", json={"username": "admin",
                                                      "password": hub.demo_password("admin")})).json()["token"]
    http.headers["authorization"] = f"Bearer {token}"
    return http


async def test_an_admin_sets_queues_and_skills_and_routing_follows(hub: HubServer) -> None:
    admin = await admin_client(hub)
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    try:
        response = await admin.put("/api/queues/", json=[TECH, GENERAL])
        assert response.status_code == 200, response.text
        assert [q["id"] for q in response.json()] == ["tech", "general"]
        assert [q["id"] for q in (await agent.http.get("/api/queues/")).json()] == ["tech", "general"]
        await agent.ready()
        customer, _ = await Customer.open(hub.ws)
        await customer.say("我的宽带断了")  # handed off (empty KB) into the first queue serving web chat: tech
        await customer.next("status", where=lambda f: f["state"] == "queued")
        users = (await admin.get("/api/users/")).json()
        me = next(u for u in users if u["username"] == "agent")
        assert me["skills"] == {} and me["capacities"] == {"chat": 3, "voice": 1, "email": 5}
        changed = await admin.patch(f"/api/users/{me['id']}", json={"skills": {"tech": 3}, "team": "宽带组"})
        assert changed.status_code == 200 and changed.json()["skills"] == {"tech": 3}
        offer = await agent.next("offer", timeout=5)  # the new skill admits the agent to the tech queue
        assert offer["conversation_id"] == customer.conversation_id
        deleted = await admin.delete("/api/queues/tech")
        assert deleted.status_code == 409 and deleted.json()["code"] == "queue_in_use"
        await customer.close()
    finally:
        await agent.close()
        await admin.aclose()


async def test_queue_and_user_changes_are_checked(hub: HubServer) -> None:
    admin = await admin_client(hub)
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    try:
        bad_overflow = {**TECH, "overflow": [{"after_s": 60, "also_queues": ["nowhere"]}]}
        for body, code in (([bad_overflow, GENERAL], "invalid_queues"), ([], "invalid_queues"),
                           ([{"id": "x y", "name": "bad id"}], "invalid_request"),
                           ([GENERAL, GENERAL], "invalid_queues"),
                           # numbers no wait, timer or queue score could be computed from
                           ([{**GENERAL, "wanted_wait_s": 2**70}], "invalid_request"),
                           ([{**GENERAL, "base_priority": 1e308}], "invalid_request"),
                           ([{**TECH, "overflow": [{"after_s": 2**62}]}, GENERAL], "invalid_request"),
                           ([{**GENERAL, "aging_per_min": 1e-300}], "invalid_queues")):
            response = await admin.put("/api/queues/", json=body)
            assert response.status_code == 400 and response.json()["code"] == code, response.text
        for period in ({"from": "0001-01-01", "to": "0001-01-02", "tz": "Asia/Shanghai"},
                       {"from": "9999-12-30", "to": "9999-12-31", "tz": "Etc/GMT+12"}):
            response = await admin.get("/api/reports", params=period)
            assert (response.status_code, response.json()["code"]) == (400, "bad_date"), response.text
        response = await admin.put("/api/queues/other", json=GENERAL)
        assert response.status_code == 400 and response.json()["code"] == "id_mismatch"
        assert (await agent.http.put("/api/queues/", json=[GENERAL])).status_code == 403
        assert (await agent.http.get("/api/users/")).status_code == 403
        me = agent.user_id
        for body in ({"skills": {"tech": 9}}, {"capacities": {"fax": 1}}, {"password_hash": "x"}):
            response = await admin.patch(f"/api/users/{me}", json=body)
            assert response.status_code == 400, (body, response.text)
        assert (await admin.patch("/api/users/nobody", json={"team": "A"})).status_code == 404
        await agent.ready()
        demoted = await admin.patch(f"/api/users/{me}", json={"role": "editor"})  # no longer takes chats
        assert demoted.status_code == 200 and demoted.json()["agent_state"] == "offline"
        assert [q["id"] for q in (await admin.get("/api/queues/")).json()] == ["general"]  # nothing half-applied
    finally:
        await agent.close()
        await admin.aclose()


async def test_queues_come_from_the_file_on_a_first_start_and_survive_a_restart(tmp_path: Path) -> None:
    spec = tmp_path / "queues.yaml"
    spec.write_text("queues:\n  - id: hotline\n    name: 热线\n    channels: [webchat]\n    strategy: least_occupied\n",
                    encoding="utf-8")
    data = tmp_path / "hub"
    with HubServer(data, env={"HUB_QUEUES_FILE": str(spec)}) as hub:
        admin = await admin_client(hub)
        assert [q["id"] for q in (await admin.get("/api/queues/")).json()] == ["hotline"]
        await admin.put("/api/queues/vip", json={"id": "vip", "name": "VIP", "base_priority": 20})
        await admin.aclose()
    with HubServer(data, env={"HUB_QUEUES_FILE": str(spec)}) as hub:  # the store keeps the API's change
        admin = await admin_client(hub)
        assert [q["id"] for q in (await admin.get("/api/queues/")).json()] == ["hotline", "vip"]
        await admin.aclose()


async def test_an_agent_transfers_to_another_queue(hub: HubServer) -> None:
    admin = await admin_client(hub)
    agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    try:
        assert (await admin.put("/api/queues/", json=[GENERAL, TECH])).status_code == 200
        await agent.ready()
        customer, _ = await Customer.open(hub.ws)
        await customer.say("hello")
        conversation_id = await agent.accept_next_offer()
        url = f"/api/conversations/{conversation_id}/transfer"
        missing = await agent.http.post(url, json={"queue_id": "nowhere"})
        assert missing.status_code == 404 and missing.json()["code"] == "unknown_queue"
        assert (await agent.http.post(url, json={"queue": "tech"})).status_code == 400  # unknown field
        moved = await agent.http.post(url, json={"queue_id": "tech"})
        assert moved.status_code == 200 and moved.json()["state"] == "queued"
        stats = {q["queue"]: q["waiting"] for q in (await admin.get("/api/queues/stats")).json()}
        assert stats == {"general": 0, "tech": 1}  # the agent lacks the tech skill: it waits there
        await customer.close()
    finally:
        await agent.close()
        await admin.aclose()


async def sign_in(hub: HubServer, username: str, password: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=hub.http, timeout=10)
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    http.headers["authorization"] = f"Bearer {response.json()['token']}"
    return http


async def test_an_admin_adds_a_user_who_can_then_sign_in(hub: HubServer) -> None:
    admin = await admin_client(hub)
    try:
        body = {"username": "li.na", "password": "长城 long enough", "role": "editor", "display_name": "李娜"}
        response = await admin.post("/api/users/", json=body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert (created["username"], created["role"], created["display_name"]) == ("li.na", "editor", "李娜")
        assert not {"password", "password_hash"} & set(created) and "scrypt" not in response.text
        listed = await admin.get("/api/users/")
        assert "li.na" in [u["username"] for u in listed.json()] and "scrypt" not in listed.text
        editor = await sign_in(hub, "li.na", "长城 long enough")
        assert (await editor.get("/api/agent/me")).json()["role"] == "editor"
        await editor.aclose()
    finally:
        await admin.aclose()


async def test_adding_a_user_is_checked_and_changes_nothing_when_refused(hub: HubServer) -> None:
    admin = await admin_client(hub)
    agent = await sign_in(hub, "agent", hub.demo_password("agent"))
    good = {"username": "wang", "password": "12345678", "role": "agent"}
    try:
        before = (await admin.get("/api/users/")).json()
        refused = await agent.post("/api/users/", json=good)
        assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
        taken = await admin.post("/api/users/", json={**good, "username": "agent"})
        assert taken.status_code == 409 and taken.json()["code"] == "username_taken", taken.text
        for bad, code in (({"password": "1234567"}, "weak_password"), ({"role": "boss"}, "invalid_request"),
                          ({"username": "wang wei"}, "invalid_username"), ({"username": ""}, "invalid_username"),
                          ({"password_hash": "scrypt$1"}, "invalid_request")):
            response = await admin.post("/api/users/", json={**good, **bad})
            assert response.status_code == 400 and response.json()["code"] == code, (bad, response.text)
        assert (await admin.get("/api/users/")).json() == before
        assert (await admin.post("/api/users/", json=good)).status_code == 201
        again = await admin.post("/api/users/", json=good)
        assert again.status_code == 409 and again.json()["code"] == "username_taken"
        assert "taken" in again.json()["detail"]
    finally:
        await agent.aclose()
        await admin.aclose()


async def test_an_admin_changes_roles_but_cannot_demote_themself(hub: HubServer) -> None:
    admin = await admin_client(hub)
    try:
        users = {u["username"]: u for u in (await admin.get("/api/users/")).json()}
        promoted = await admin.patch(f"/api/users/{users['agent']['id']}",
                                     json={"role": "supervisor", "display_name": "小王"})
        assert promoted.status_code == 200, promoted.text
        assert (promoted.json()["role"], promoted.json()["display_name"]) == ("supervisor", "小王")
        me = users["admin"]["id"]
        for role in ("agent", "supervisor", "editor", "reviewer"):
            refused = await admin.patch(f"/api/users/{me}", json={"role": role, "display_name": "Boss"})
            assert refused.status_code == 409 and refused.json()["code"] == "cannot_demote_self", refused.text
        kept = await admin.patch(f"/api/users/{me}", json={"role": "admin", "team": "Ops"})
        assert kept.status_code == 200 and kept.json()["role"] == "admin" and kept.json()["display_name"] is None
        # Another admin may change the first one's role; then the first is no admin any more.
        second = {"username": "zhao", "password": "another admin", "role": "admin"}
        assert (await admin.post("/api/users/", json=second)).status_code == 201
        zhao = await sign_in(hub, "zhao", "another admin")
        demoted = await zhao.patch(f"/api/users/{me}", json={"role": "agent"})
        assert demoted.status_code == 200 and demoted.json()["role"] == "agent"
        assert (await admin.post("/api/users/", json={**second, "username": "qian"})).status_code == 403
        await zhao.aclose()
    finally:
        await admin.aclose()
