"""A customer with the widget open in two tabs, in a real browser: after the agent resolved the conversation and
the reopen window passed, a message from one tab begins a new conversation, and the other tab follows it
(the hub's ``moved`` event) instead of staying on the old one or beginning a third."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.test_pages import _console_and_widget, _handed_to_the_agent, _watch_errors

expect.set_options(timeout=10_000)


def test_the_other_tab_follows_the_new_conversation(browser: Browser, hub_past_the_window: HubServer,
                                                     shots: Path) -> None:
    hub = hub_past_the_window
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, first = _console_and_widget(browser, hub, errors, {"width": 900, "height": 700})
    try:
        _handed_to_the_agent(console, first, "a person please")
        second = customer_ctx.new_page()  # the same customer (same saved token), another tab
        _watch_errors(second, errors)
        second.goto(f"{hub.http}/")
        second.get_by_role("button", name="Chat with us").click()
        expect(second.locator(".msg.customer .bubble")).to_have_text(["a person please"])

        console.get_by_role("button", name="Resolve").click()  # no wrap-up codes: no dialog
        expect(second.get_by_role("status").filter(has_text="resolved")).to_be_visible()

        box = first.get_by_label("Your message")
        box.fill("it broke again")
        box.press("Enter")
        expect(second.locator(".msg.customer", has_text="it broke again")).to_have_count(1)  # followed it
        offer = console.locator(".offer").filter(has_text="it broke again")
        offer.get_by_role("button", name="Accept").click()
        console.get_by_label("Reply").fill("Sorry to hear it, let me look")
        console.get_by_role("button", name="Send").click()
        for tab in (first, second):
            expect(tab.locator(".msg.agent", has_text="Sorry to hear it")).to_have_count(1)
        other = second.get_by_label("Your message")
        other.fill("thanks, from the other tab")
        other.press("Enter")
        expect(console.get_by_role("log").locator(".msg.customer", has_text="from the other tab")).to_have_count(1)
        expect(first.locator(".msg.customer", has_text="from the other tab")).to_have_count(1)
        expect(console.locator(".offer")).to_have_count(0)  # no third conversation
        second.screenshot(path=shots / "widget-second-tab.png")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
