"""The admin page in a real browser against a real hub: an admin creates a queue with an overflow step and
gives an agent its skill; the hub's refusal of a bad queue is shown; English and Chinese; keyboard only.
Screenshots go to var/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _watch_errors

expect.set_options(timeout=10_000)


def _sign_in(page: Page, hub: HubServer, username: str, password: str) -> None:
    sign_in(page, hub, "/admin", username, password)


def test_an_admin_creates_a_queue_with_an_overflow_step(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    ctx.on("dialog", lambda dialog: dialog.accept())
    try:
        page = ctx.new_page()
        _watch_errors(page, errors)
        _sign_in(page, hub, "agent", hub.demo_password("agent"))
        expect(page.get_by_role("alert")).to_contain_text("for admins")
        _sign_in(page, hub, "admin", hub.demo_password("admin"))
        queues = page.get_by_role("table", name="Queues")
        expect(queues.get_by_role("rowheader", name="general", exact=True)).to_be_visible()

        # Keyboard only: fill the form, add an overflow step, save.
        page.get_by_label("Id", exact=True).focus()
        page.keyboard.type("billing")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the help text to Name
        page.get_by_label("Name", exact=True).fill("账单 Billing")
        page.get_by_label("Web chat").check()
        page.get_by_label("Skills", exact=True).fill("billing:3")
        page.get_by_label("Strategy").select_option("least_occupied")
        page.get_by_role("button", name="Add a step").press("Enter")
        step = page.get_by_role("listitem", name="Step 1")
        expect(step.get_by_label("After (s)")).to_be_focused()
        page.keyboard.type("60")
        step.get_by_label("Lowest level").select_option("1")
        step.get_by_label("Also agents of").fill("nowhere")  # an unknown queue: the hub refuses it
        page.get_by_role("button", name="Save queue").click()
        expect(page.get_by_role("alert")).to_contain_text("overflow to unknown queue(s) nowhere")
        step.get_by_label("Also agents of").fill("general")
        step.get_by_label("Offer").select_option("ticket")
        page.get_by_role("button", name="Save queue").press("Enter")
        expect(page.get_by_role("status").filter(has_text="Queue billing saved.")).to_be_visible()
        row = queues.get_by_role("row").filter(has=page.get_by_role("rowheader", name="billing", exact=True))
        expect(row).to_contain_text("账单 Billing")
        expect(row).to_contain_text("60 s")
        page.screenshot(path=shots / "admin-queue.png", full_page=True)

        # The agent gets the skill.
        page.get_by_role("textbox", name="Skills of agent").fill("billing:4")
        page.get_by_role("button", name="Save agent").click()
        expect(page.get_by_role("status").filter(has_text="agent saved.")).to_be_visible()

        with httpx.Client(base_url=hub.http, timeout=10) as http:
            token = http.post("/api/auth/login", json={"username": "admin", "password": hub.demo_password("admin")})
            headers = {"authorization": f"Bearer {token.json()['token']}"}
            billing = next(q for q in http.get("/api/queues/", headers=headers).json() if q["id"] == "billing")
            users = http.get("/api/users/", headers=headers).json()
        assert billing["channels"] == ["webchat"] and billing["skills"] == {"billing": 3}
        assert billing["strategy"] == "least_occupied"
        assert billing["overflow"] == [{"after_s": 60, "min_proficiency": 1, "also_queues": ["general"],
                                        "offer": "ticket"}]
        assert next(u for u in users if u["username"] == "agent")["skills"] == {"billing": 4}

        # Edit it again, in Chinese: the form comes back filled.
        page.get_by_role("button", name="中文").click()
        page.get_by_role("button", name="编辑队列 billing").click()
        expect(page.get_by_label("名称", exact=True)).to_have_value("账单 Billing")
        expect(page.get_by_role("listitem", name="第 1 步").get_by_label("等待（秒）后")).to_have_value("60")
        page.screenshot(path=shots / "admin-zh.png", full_page=True)
        page.get_by_role("button", name="删除队列 billing").click()
        expect(page.get_by_role("status").filter(has_text="队列 billing 已删除。")).to_be_visible()
        assert not errors, errors
    finally:
        ctx.close()
