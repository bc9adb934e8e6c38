"""Supervisor reports against a real hub: traffic through the real sockets and API (one conversation the bot
answers, one an agent takes, answers, resolves and the customer rates, one left in the queue), then the
figures as JSON and CSV; agents are refused and bad periods get a stable code."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer
from tests.support.kb import publish, signed_in

HOURS = {"title": "Opening hours", "question": "What are your opening hours?",
         "answer": "We are open 9:00-18:00, Monday to Friday.", "similar": ["when are you open"]}


@pytest.fixture
async def admin(hub: HubServer) -> AsyncIterator[httpx.AsyncClient]:
    http = await signed_in(hub.http, "admin", hub.demo_password("admin"))
    yield http
    await http.aclose()


def _around_today(tz: str) -> dict[str, str]:
    today = datetime.now(ZoneInfo(tz)).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat(), "tz": tz}


async def _traffic(hub: HubServer, agent: Agent, admin: httpx.AsyncClient) -> None:
    await publish(admin, **HOURS)
    asker, _ = await Customer.open(hub.ws)
    await asker.say("when are you open?")
    await asker.next("message", where=lambda f: f["role"] == "bot")  # contained: the bot answered

    helped, _ = await Customer.open(hub.ws, name="李雷")
    await helped.say("转人工")
    conversation_id = await agent.accept_next_offer()
    await asyncio.sleep(0.3)  # a first response that takes a moment
    assert (await agent.reply(conversation_id, "您好")).status_code == 201
    await asyncio.sleep(0.2)
    assert (await agent.http.post(f"/api/conversations/{conversation_id}/resolve")).status_code == 200
    await helped.next("status", where=lambda f: f["state"] == "resolved")
    await helped.send({"type": "survey", "rating": 4, "comment": "很好"})
    await helped.next("survey_received")

    await agent.http.post("/api/agent/state", json={"state": "not_ready"})
    left, _ = await Customer.open(hub.ws)
    await left.say("转人工")
    await left.next("status", where=lambda f: f["state"] == "queued")
    assert (await admin.post(f"/api/conversations/{left.conversation_id}/resolve")).status_code == 200


async def test_a_supervisor_reads_the_figures_of_real_traffic_as_json_and_csv(hub: HubServer, agent: Agent,
                                                              admin: httpx.AsyncClient) -> None:
    await _traffic(hub, agent, admin)
    assert hub.add_user("boss", "pw-boss-123", "supervisor", "--display-name", "陈静").returncode == 0
    boss = await signed_in(hub.http, "boss", "pw-boss-123")
    try:
        response = await boss.get("/api/reports", params=_around_today("Asia/Shanghai"))
    finally:
        await boss.aclose()
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["tz"] == "Asia/Shanghai" and report["contacts"] == 3
    assert sum(h["by_channel"]["webchat"] for h in report["contacts_per_hour"]) == 3
    now_hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    assert {h["hour"] for h in report["contacts_per_hour"] if h["total"]} <= {now_hour, (now_hour - 1) % 24}
    assert report["handle_time"]["count"] == 1 and report["handle_time"]["average_s"] >= 0.5
    assert report["first_response"]["count"] == 1 and 0.3 <= report["first_response"]["average_s"] < 5
    assert report["abandon"] == {"count": 1, "of": 2, "rate": 0.5}
    assert report["containment"] == {"count": 1, "of": 3, "rate": 0.333}
    assert report["satisfaction"] == {"average": 4.0, "rated": 1,
                                      "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}
    assert [(a["name"], a["handled"]) for a in report["agents"]] == [("agent", 1)]

    elsewhere = await admin.get("/api/reports", params=_around_today("UTC"))
    assert elsewhere.json()["contacts"] == 3 and elsewhere.json()["start"].endswith("T00:00:00Z")
    later = datetime.now(ZoneInfo("UTC")).date() + timedelta(days=2)
    empty = (await admin.get("/api/reports", params={"from": later.isoformat(),
                                                     "to": (later + timedelta(days=1)).isoformat()})).json()
    assert empty["contacts"] == 0 and empty["handle_time"] == {"count": 0, "average_s": None}
    await _csv_download(admin)


async def _csv_download(admin: httpx.AsyncClient) -> None:
    params = {**_around_today("Asia/Shanghai"), "lang": "zh"}
    response = await admin.get("/api/reports/csv", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="report-{params["from"]}-to-{params["to"]}.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["统计周期"] and rows[2] == [params["from"], params["to"], "Asia/Shanghai"]
    summary = dict(r for r in rows if len(r) == 2)
    assert summary["进线量"] == "3" and summary["放弃率"] == "0.5" and summary["平均满意度（1-5）"] == "4.0"
    assert ["agent", "1"] == rows[-1][:2]
    english = await admin.get("/api/reports/csv", params={**params, "lang": "en"})
    assert "Contacts per hour" in english.content.decode("utf-8-sig")


async def test_agents_are_refused_and_bad_periods_get_a_stable_code(hub: HubServer, agent: Agent,
                                                                   admin: httpx.AsyncClient) -> None:
    good = _around_today("UTC")
    async with httpx.AsyncClient(base_url=hub.http) as anonymous:
        for path in ("/api/reports", "/api/reports/csv"):
            refused = await agent.http.get(path, params=good)
            assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
            assert (await anonymous.get(path, params=good)).status_code == 401
    bad = [({**good, "tz": "Mars/Olympus"}, "bad_timezone"), ({**good, "tz": "../../etc/passwd"}, "bad_timezone"),
           ({**good, "from": "2024-13-01"}, "bad_date"), ({**good, "to": "tomorrow"}, "bad_date"),
           ({"to": good["to"]}, "bad_date"), ({"from": good["to"], "to": good["from"]}, "bad_range"),
           ({"from": "2024-01-01", "to": "2024-06-01"}, "range_too_long")]
    for params, code in bad:
        for path in ("/api/reports", "/api/reports/csv"):
            response = await admin.get(path, params=params)
            assert response.status_code == 400, (params, response.text)
            assert response.json()["code"] == code and response.json()["detail"], params
            assert "Traceback" not in response.text and "File " not in response.text
    wrong_language = await admin.get("/api/reports/csv", params={**good, "lang": "fr"})
    assert wrong_language.status_code == 400 and wrong_language.json()["code"] == "bad_language"
