"""The agents' desk in a real browser: an admin sets canned responses and wrap-up codes on /admin (Chinese);
an agent in the console picks a canned response with "/" and the keyboard, writes an internal note, and
resolves with a wrap-up code. Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.models import Conversation, ConversationState
from hub.store.sqlite import SQLiteStore
from tests.support.hub import HubServer
from tests.support.threads import run_async

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _customer_asks, _sign_in, _watch_errors

expect.set_options(timeout=10_000)


def test_an_admin_sets_up_the_desk_and_an_agent_uses_it(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    admin_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 1400})
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 760})
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
    try:
        admin = admin_ctx.new_page()
        _watch_errors(admin, errors)
        sign_in(admin, hub, "/admin", "admin", hub.demo_password("admin"), "zh")
        canned = admin.get_by_role("region", name="快捷回复")
        canned.get_by_role("button", name="添加").click()
        expect(canned.get_by_label("快捷码 1")).to_be_focused()
        admin.keyboard.type("hello")
        admin.keyboard.press("Tab")
        admin.keyboard.type("问候")
        admin.keyboard.press("Tab")
        admin.keyboard.type("Hello! How can I help you today?")
        canned.get_by_role("button", name="保存").click()
        expect(admin.get_by_role("status")).to_have_text("已保存 1 条快捷回复。")
        wrapups = admin.get_by_role("region", name="小结分类")
        for code, label in [("refund", "退款"), ("info", "咨询")]:
            wrapups.get_by_role("button", name="添加").click()
            admin.keyboard.type(code)
            admin.keyboard.press("Tab")
            admin.keyboard.type(label)
        wrapups.get_by_role("button", name="保存").click()
        expect(admin.get_by_role("status")).to_have_text("已保存 2 个小结分类。")
        admin.locator("#canned-title").scroll_into_view_if_needed()
        admin.screenshot(path=shots / "admin-desk-zh.png", full_page=True)

        console = agent_ctx.new_page()
        _watch_errors(console, errors)
        _sign_in(console, hub)
        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "I need a person please")
        console.locator(".offer").get_by_role("button", name="Accept").click()

        reply = console.get_by_role("textbox", name="Reply")
        reply.fill("/hel")
        options = console.get_by_role("listbox", name="Canned responses").get_by_role("option")
        expect(options).to_have_count(1)
        expect(options.first).to_contain_text("/hello · 问候")
        console.screenshot(path=shots / "console-canned.png")
        reply.press("Enter")  # puts the response in the box; a second Enter sends it
        expect(reply).to_have_value("Hello! How can I help you today?")
        reply.press("Enter")
        expect(store.locator(".msg.agent .bubble")).to_have_text("Hello! How can I help you today?")

        console.get_by_label("Internal note").check()
        reply.fill("VIP customer, asked twice")
        reply.press("Enter")
        note = console.get_by_role("log").locator(".msg.internal")
        expect(note).to_contain_text("VIP customer, asked twice")
        expect(note).to_contain_text("the customer does not see it")
        console.get_by_label("Internal note").uncheck()

        console.get_by_role("button", name="Resolve").click()
        dialog = console.get_by_role("dialog", name="Resolve the conversation")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Wrap-up code").select_option(label="咨询")
        dialog.get_by_label("Note (optional)").fill("answered")
        console.screenshot(path=shots / "console-wrap-up.png")
        dialog.get_by_role("button", name="Resolve").click()
        expect(console.locator("#pane-state")).to_contain_text("Resolved")
        expect(store.locator(".msg .bubble", has_text="VIP customer")).to_have_count(0)
        assert not errors, errors
    finally:
        admin_ctx.close()
        agent_ctx.close()
        customer_ctx.close()

    resolved = run_async(_resolved(hub))
    assert [(c.wrap_up_code, c.wrap_up_note) for c in resolved] == [("info", "answered")]


async def _resolved(hub: HubServer) -> list[Conversation]:
    store = SQLiteStore(hub.data_dir / "hub.sqlite3")
    await store.open()
    try:
        return await store.conversations_in_state(ConversationState.RESOLVED)
    finally:
        await store.close()


def test_an_agent_works_by_keyboard_shortcuts_with_offer_alerts(browser: Browser, hub: HubServer,
                                                                shots: Path) -> None:
    errors: list[str] = []
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 760},
                                    permissions=["notifications"])
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 760})
    try:
        console = agent_ctx.new_page()
        _watch_errors(console, errors)
        _sign_in(console, hub)
        alerts = console.get_by_role("button", name="Offer alerts")
        alerts.click()
        expect(console.get_by_role("button", name="Offer alerts on")).to_have_attribute("aria-pressed", "true")
        console.keyboard.press("Alt+H")
        keys = console.get_by_role("dialog", name="Shortcuts")
        expect(keys).to_contain_text("Accept the first offer")
        console.screenshot(path=shots / "console-shortcuts.png")
        console.keyboard.press("Escape")
        expect(keys).to_be_hidden()

        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "a person please")
        expect(console.locator(".offer")).to_have_count(1)
        console.keyboard.press("Alt+A")
        expect(console.locator("#pane-state")).to_contain_text("Assigned to you")
        console.keyboard.press("Alt+R")
        reply = console.get_by_role("textbox", name="Reply")
        expect(reply).to_be_focused()
        console.keyboard.type("let me check")  # the customer sees the agent typing, and the other way round
        expect(store.get_by_text("The agent is typing…")).to_be_visible()
        store.get_by_label("Your message").type("hello?")
        expect(console.get_by_text("The customer is typing…")).to_be_visible()
        reply.fill("")
        console.keyboard.press("Alt+N")
        expect(console.get_by_label("Internal note")).to_be_checked()
        console.keyboard.type("checked the order")
        console.keyboard.press("Enter")
        expect(console.get_by_role("log").locator(".msg.internal")).to_contain_text("checked the order")
        console.keyboard.press("Alt+E")  # no wrap-up codes configured: resolves at once
        expect(console.locator("#pane-state")).to_contain_text("Resolved")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
