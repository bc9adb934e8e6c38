"""The console's own tools in a real browser: not ready with a reason (which the wallboard shows in its own
language), and searching the knowledge base from the conversation when the suggestions do not fit — by keyboard.
Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import HOURS_ANSWER, _console_and_widget, _handed_to_the_agent, _publish_hours

expect.set_options(timeout=10_000)


def test_not_ready_with_a_reason_shows_on_the_wallboard(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, _ = _console_and_widget(browser, hub, errors, {"width": 800, "height": 600})
    board_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 800})
    try:
        console.get_by_label("Why not ready").select_option("lunch")
        console.get_by_role("button", name="Not ready").press("Enter")
        expect(console.get_by_role("button", name="Not ready")).to_have_attribute("aria-pressed", "true")
        board = board_ctx.new_page()
        sign_in(board, hub, "/wallboard", "admin", hub.demo_password("admin"), "zh")
        agents = board.get_by_role("row").filter(has=board.get_by_role("rowheader", name="agent", exact=True))
        expect(agents).to_contain_text("未就绪 · 用餐")
        console.get_by_label("Why not ready").select_option("training")  # a new reason while not ready
        board.reload()
        expect(agents).to_contain_text("未就绪 · 培训")
        board.screenshot(path=shots / "wallboard-reason-zh.png")
        console.reload()  # the console remembers the reason it gave
        expect(console.get_by_label("Why not ready")).to_have_value("training")
        assert not errors, errors
    finally:
        board_ctx.close()
        agent_ctx.close()
        customer_ctx.close()


def test_the_agent_searches_the_knowledge_base(browser: Browser, hub: HubServer, shots: Path) -> None:
    _publish_hours(hub)
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, store = _console_and_widget(browser, hub, errors,
                                                                    {"width": 1000, "height": 760})
    try:
        _handed_to_the_agent(console, store, "a person please")
        assist = console.get_by_role("region", name="Suggested replies")
        expect(assist).to_contain_text("No suggestions for the customer's last message")

        console.keyboard.press("Alt+KeyK")
        search = console.get_by_role("searchbox", name="Search the knowledge base")
        expect(search).to_be_focused()
        console.keyboard.type("when are you open")
        console.keyboard.press("Enter")
        results = console.get_by_role("region", name="Knowledge base: “when are you open”")
        expect(results).to_contain_text(HOURS_ANSWER)
        console.screenshot(path=shots / "console-kb-search.png")
        results.get_by_role("button", name="Use the suggested reply “Opening hours”").press("Enter")
        reply = console.get_by_role("textbox", name="Reply")
        expect(reply).to_have_value(HOURS_ANSWER)
        reply.press("Enter")
        expect(store.locator(".msg.agent")).to_contain_text("9:00-18:00")

        search.fill("zzzz qqqq")
        search.press("Enter")
        expect(console.get_by_role("region", name="Knowledge base: “zzzz qqqq”")).to_contain_text("Nothing found")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
