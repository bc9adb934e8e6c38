"""The console's transfers in a real browser: to another queue (chosen from the hub's queues) and back to
the bot."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.staff import ready_agent_zh
from tests.browser.test_pages import _customer_asks, _sign_in, _watch_errors

expect.set_options(timeout=10_000)


def test_an_agent_transfers_to_another_queue_and_back_to_the_bot(browser: Browser, hub: HubServer,
                                                                  shots: Path) -> None:
    with httpx.Client(base_url=hub.http, timeout=10) as http:
        token = http.post("/api/auth/login", json={"username": "admin", "password": hub.demo_password("admin")})
        headers = {"authorization": f"Bearer {token.json()['token']}"}
        queues = [{"id": "general", "name": "General"}, {"id": "tech", "name": "技术支持", "skills": {"tech": 3}}]
        assert http.put("/api/queues/", json=queues, headers=headers).status_code == 200
    errors: list[str] = []
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 760})
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
    try:
        console = agent_ctx.new_page()
        _watch_errors(console, errors)
        _sign_in(console, hub)
        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "my router is broken, a person please")
        console.locator(".offer").get_by_role("button", name="Accept").click()
        expect(console.get_by_role("log").locator(".msg.customer")).to_contain_text("my router is broken")

        console.get_by_label("Transfer to").select_option(label="技术支持")
        console.screenshot(path=shots / "console-transfer.png")
        console.get_by_role("button", name="Transfer", exact=True).click()
        expect(console.locator("#pane-state")).to_contain_text("Transferred back to the queue")
        with httpx.Client(base_url=hub.http, timeout=10) as http:
            stats = {q["queue"]: q["waiting"] for q in http.get("/api/queues/stats", headers=headers).json()}
        assert stats == {"general": 0, "tech": 1}  # nobody has the skill: it waits in tech
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()


def test_an_agent_hands_a_conversation_back_to_the_bot(browser: Browser, hub: HubServer) -> None:
    errors: list[str] = []
    agent_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 760})
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
    try:
        console = agent_ctx.new_page()
        _watch_errors(console, errors)
        ready_agent_zh(console, hub)
        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "a person please")
        console.locator(".offer").get_by_role("button", name="接入").click()
        console.get_by_role("button", name="转回机器人").click()
        expect(console.locator("#pane-state")).to_contain_text("机器人接待中")
        expect(console.get_by_role("button", name="转接", exact=True)).to_be_disabled()
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
