"""The console's transfers in a real browser: to another queue (chosen from the hub's queues) and back to
the bot."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Page, Route, expect

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

        _choose_while_the_list_reloads(console, "技术支持")
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


def _choose_while_the_list_reloads(console: Page, label: str) -> None:
    """The list reloads on every focus (colleagues' states change); a choice made before the reload's answer
    arrives must stay chosen, or the transfer silently goes to the conversation's own queue."""
    transfer = console.get_by_label("Transfer to")
    transfer.focus()
    expect(transfer.locator("option", has_text=label)).to_have_count(1)
    held: list[Route] = []
    console.route("**/api/agent/colleagues", lambda route: held.append(route))
    console.get_by_label("Reply").focus()
    transfer.focus()  # the reload starts; its colleagues' answer is held
    for _ in range(200):
        if held:
            break
        console.wait_for_timeout(50)
    assert len(held) == 1
    transfer.select_option(label=label)
    held.pop().fulfill(json=[{"id": "zed", "name": "Zed", "state": "ready", "team": None}])
    expect(transfer.locator("option", has_text="Zed")).to_have_count(1)  # the reload is done
    expect(transfer.locator("option:checked")).to_have_text(label)
    console.unroute("**/api/agent/colleagues")


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
