"""The console's screen pop and transfer to a person, in a real browser: a returning customer's profile shows
their earlier conversation (wrap-up code and rating), which the agent reads in a dialog; then the agent
transfers the conversation to a colleague by name."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.clients import Agent, Customer, close_all
from tests.support.hub import HubServer
from tests.support.threads import run_async

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _watch_errors

expect.set_options(timeout=10_000)


async def _earlier_conversation(hub: HubServer) -> str:
    """A customer's first conversation, resolved under a wrap-up code and rated 5; returns their token."""
    async with httpx.AsyncClient(base_url=hub.http) as http:
        token = (await http.post("/api/auth/login", json={"username": "admin",
                                                          "password": hub.demo_password("admin")})).json()["token"]
        codes = [{"code": "refund", "label": "Refund"}]
        (await http.put("/api/desk/wrap-up-codes", json=codes,
                        headers={"authorization": f"Bearer {token}"})).raise_for_status()
    try:
        agent = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
        await agent.ready()
        customer, _ = await Customer.open(hub.ws, name="Zhang Wei")
        await customer.say("I want my money back, a person please")
        conversation_id = await agent.accept_next_offer()
        await agent.reply(conversation_id, "Refunded, it will arrive in 3 days")
        (await agent.http.post(f"/api/conversations/{conversation_id}/resolve",
                               json={"wrap_up_code": "refund"})).raise_for_status()
        await customer.next("status", where=lambda f: f["state"] == "resolved")
        await customer.send({"type": "survey", "rating": 5})
        await customer.next("survey_received")
        (await agent.http.post("/api/agent/state", json={"state": "offline"})).raise_for_status()
        return customer.token
    finally:
        await close_all()


async def _comes_back(hub: HubServer, token: str) -> None:
    try:
        customer, _ = await Customer.open(hub.ws, token=token)
        await customer.say("The refund has not arrived, a person please")
    finally:
        await close_all()


async def _colleague_offer(hub: HubServer) -> str:
    try:  # closed on failure too: clients left open would fail the next test that closes its own
        li = await Agent.login(hub.http, hub.ws, "li", "pw-li-12345")
        await li.ready()
        offer = await li.next("offer", timeout=10)
    finally:
        await close_all()
    return offer["contact"]


def test_a_returning_customers_history_pops_up_and_goes_to_a_colleague(
        browser: Browser, hub_past_the_window: HubServer, shots: Path) -> None:
    hub = hub_past_the_window
    assert hub.add_user("li", "pw-li-12345", "agent", "--display-name", "Li Na").returncode == 0
    token = run_async(_earlier_conversation(hub))
    errors: list[str] = []
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 800})
    try:
        console = context.new_page()
        _watch_errors(console, errors)
        sign_in(console, hub, "/console", "agent", hub.demo_password("agent"))
        console.get_by_role("button", name="Ready", exact=True).click()
        run_async(_comes_back(hub, token))
        console.locator(".offer").get_by_role("button", name="Accept").click()
        expect(console.get_by_role("log")).to_contain_text("The refund has not arrived")

        profile = console.locator("#profile")
        profile.get_by_text("Customer profile · 1 earlier").click()
        earlier = profile.get_by_role("listitem")
        expect(earlier).to_have_count(1)
        expect(earlier).to_contain_text("Web chat · Resolved · Refund · ★★★★★")
        earlier.get_by_role("button", name="Read").click()
        past = console.get_by_role("dialog")
        expect(past.get_by_role("log")).to_contain_text("Refunded, it will arrive in 3 days")
        console.screenshot(path=shots / "console-screen-pop.png")
        past.get_by_role("button", name="Close").click()
        expect(past).to_be_hidden()

        transfer = console.get_by_label("Transfer to")
        transfer.focus()
        transfer.select_option(label="Li Na · Offline")
        console.get_by_role("button", name="Transfer", exact=True).click()
        expect(console.locator("#pane-state")).to_contain_text("Transferred back to the queue")
        assert run_async(_colleague_offer(hub)) == "Zhang Wei"  # waiting for Li in particular
        assert not errors, errors
    finally:
        context.close()
