"""Hold in a real browser: the agent puts the customer on hold from the console (button and Alt+P), the console
shows it with a running time in the conversation and the inbox, the customer's widget tells them to hold on;
the agent's reply ends it. Screenshots of both screens go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.test_pages import _console_and_widget, _handed_to_the_agent

expect.set_options(timeout=10_000)


def test_an_agent_holds_the_customer_and_comes_back(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, store = _console_and_widget(browser, hub, errors,
                                                                    {"width": 1000, "height": 760})
    try:
        _handed_to_the_agent(console, store, "a person please, about my order")
        hold = console.get_by_role("button", name="Hold", exact=True)
        expect(hold).to_be_enabled()

        console.get_by_role("log").focus()
        console.keyboard.press("Alt+KeyP")  # the shortcut, from anywhere in the console
        resume = console.get_by_role("button", name="Resume", exact=True)
        expect(resume).to_be_visible()
        expect(console.locator("#pane-state")).to_contain_text("On hold 0:0")
        expect(console.locator("#convs .held")).to_contain_text("On hold")
        expect(console.locator("#announce")).to_have_text("The customer is on hold and has been told so.")
        expect(store.locator(".status")).to_contain_text("hold on")
        console.wait_for_timeout(1200)  # the time runs
        expect(console.locator("#pane-state")).not_to_contain_text("On hold 0:00")
        console.screenshot(path=shots / "console-hold.png")
        store.screenshot(path=shots / "widget-hold.png")

        resume.click()
        expect(hold).to_be_visible()
        expect(console.locator("#convs .held")).to_have_count(0)
        expect(store.locator(".status")).not_to_contain_text("hold on")

        hold.click()
        expect(resume).to_be_visible()
        reply = console.get_by_role("textbox", name="Reply")
        reply.fill("Found it: it ships tomorrow.")
        reply.press("Enter")  # a reply ends the hold
        expect(store.locator(".msg.agent")).to_contain_text("ships tomorrow")
        expect(hold).to_be_visible()
        expect(console.locator("#pane-state")).not_to_contain_text("On hold")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()


def test_hold_in_chinese(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, store = _console_and_widget(browser, hub, errors,
                                                                    {"width": 1000, "height": 760})
    try:
        console.get_by_role("button", name="中文").click()
        store.locator("#hubchat-panel").get_by_role("button", name="中文").click()
        store.get_by_label("您的消息").fill("转人工")
        store.get_by_label("您的消息").press("Enter")
        console.locator(".offer").get_by_role("button", name="接入").click()
        console.get_by_role("button", name="保持", exact=True).click()
        expect(console.get_by_role("button", name="恢复", exact=True)).to_be_visible()
        expect(console.locator("#pane-state")).to_contain_text("保持中 0:0")
        expect(store.locator(".status")).to_contain_text("请稍候")
        console.screenshot(path=shots / "console-hold-zh.png")
        store.screenshot(path=shots / "widget-hold-zh.png")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
