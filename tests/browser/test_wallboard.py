"""The supervisor's wallboard in a real browser against a real hub: sign-in (an agent is refused), the queue
table and the agents list, a customer entering the queue shown live, an agent going ready and taking the
chat, the supervisor monitoring it, whispering to the agent and barging in, English and Chinese, keyboard
use.
Screenshots go to var/screenshots/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _customer_asks, _sign_in, _watch_errors

expect.set_options(timeout=10_000)


def _wallboard(page: Page, hub: HubServer, username: str, password: str) -> None:
    sign_in(page, hub, "/wallboard", username, password)


def _row(board: Page, table: str, name: str) -> Locator:
    return board.get_by_role("table", name=table).get_by_role("row").filter(
        has=board.get_by_role("rowheader", name=name, exact=True))


def _waiting(board: Page, queue: str = "General") -> Locator:
    return _row(board, "Queues", queue).locator("td").first


def test_a_supervisor_watches_the_queue_change_live(browser: Browser, hub: HubServer, shots: Path) -> None:
    assert hub.add_user("boss", "pw-boss-123", "supervisor", "--display-name", "Chen").returncode == 0
    errors: list[str] = []
    boss_ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 720})
    customer_ctx = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 720})
    agent_ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 760})
    try:
        board = boss_ctx.new_page()
        _watch_errors(board, errors)
        _wallboard(board, hub, "agent", hub.demo_password("agent"))
        expect(board.get_by_role("alert")).to_contain_text("for supervisors and admins")
        _wallboard(board, hub, "boss", "pw-boss-123")
        expect(board.get_by_role("table", name="Queues")).to_be_visible()
        expect(_waiting(board)).to_have_text("0")
        expect(_row(board, "Agents", "agent")).to_contain_text("Offline")
        expect(board.get_by_role("status")).to_have_text("Live")
        board.screenshot(path=shots / "wallboard-empty.png")

        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "I want a person")
        expect(store.get_by_role("status").filter(has_text="Waiting for an agent")).to_be_visible()
        queued = time.monotonic()
        expect(_waiting(board)).to_have_text("1")
        print(f"wallboard showed the new waiting customer {time.monotonic() - queued:.2f} s after the widget did")
        board.screenshot(path=shots / "wallboard-waiting.png")

        console = agent_ctx.new_page()
        _watch_errors(console, errors)
        _sign_in(console, hub)  # the agent goes Ready: the offer goes out, then they accept it
        console.locator(".offer").get_by_role("button", name="Accept").click()
        expect(_waiting(board)).to_have_text("0")
        expect(_row(board, "Queues", "General").locator("td").nth(4)).to_have_text("1")  # answered today
        expect(_row(board, "Agents", "agent")).to_contain_text("Ready")

        # Silent monitoring and a whisper: the agent sees it, the customer never does.
        live = board.get_by_role("table", name="Conversations with agents")
        live.get_by_role("button", name="Monitor").first.click()
        monitor_log = board.get_by_role("log")
        expect(monitor_log).to_contain_text("I want a person")
        whisper = board.get_by_label("Whisper to the agent")
        expect(whisper).to_be_focused()
        whisper.fill("offer a voucher")
        whisper.press("Enter")
        expect(monitor_log.locator(".msg.supervisor")).to_contain_text("offer a voucher")
        heard = console.get_by_role("log").locator(".msg.supervisor")
        expect(heard).to_contain_text("offer a voucher")
        expect(heard.locator(".who")).to_contain_text("Whisper from Chen")
        store.get_by_label("Your message").fill("are you there?")
        store.get_by_label("Your message").press("Enter")
        expect(monitor_log).to_contain_text("are you there?")  # live
        board.screenshot(path=shots / "wallboard-monitor.png", full_page=True)
        console.screenshot(path=shots / "console-whisper.png")
        expect(store.locator(".msg").filter(has_text="offer a voucher")).to_have_count(0)

        # Barge-in: the supervisor speaks to the customer, who reads it under the supervisor's name.
        whisper.fill("I am the team lead; we will refund you today")
        board.get_by_role("button", name="Say to the customer (barge in)").click()
        said = store.locator(".msg.agent").filter(has_text="we will refund you today")
        expect(said).to_have_count(1)
        expect(said.locator(".who")).to_have_text("Chen")
        expect(console.get_by_role("log")).to_contain_text("we will refund you today")

        board.get_by_role("button", name="中文").click()
        expect(board.get_by_role("heading", name="实时监控")).to_be_visible()
        expect(board.get_by_role("table", name="队列").get_by_role("columnheader", name="排队中")).to_be_visible()
        expect(board.get_by_role("table", name="坐席")).to_contain_text("就绪")
        expect(board.get_by_role("status")).to_have_text("实时")
        board.screenshot(path=shots / "wallboard-zh.png")

        # Keyboard only: back to English, then sign out, with Tab and Enter.
        board.get_by_role("button", name="退出登录").focus()
        board.keyboard.press("Tab")
        expect(board.get_by_role("button", name="English")).to_be_focused()
        board.keyboard.press("Enter")
        expect(board.get_by_role("heading", name="Wallboard")).to_be_visible()
        board.keyboard.press("Shift+Tab")
        expect(board.get_by_role("button", name="Sign out")).to_be_focused()
        board.keyboard.press("Enter")
        expect(board.get_by_label("Username")).to_be_focused()
        assert not errors, errors
    finally:
        for ctx in (boss_ctx, customer_ctx, agent_ctx):
            ctx.close()
