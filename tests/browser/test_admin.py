"""The admin page in a real browser against a real hub: an admin creates a queue with an overflow step and
gives an agent its skill; sets a queue's business hours; adds users and changes roles. What the page finds
wrong and the hub's refusals are shown; English and Chinese; keyboard only. Screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _watch_errors

expect.set_options(timeout=10_000)
CLOSED = "We are closed; leave your number and we will call you back."


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


@contextmanager
def _admin_api(hub: HubServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.http, timeout=10) as http:
        token = http.post("/api/auth/login", json={"username": "admin", "password": hub.demo_password("admin")})
        http.headers["authorization"] = f"Bearer {token.json()['token']}"
        yield http


def _type_in(page: Page, text: str) -> None:
    """Tab to the next control and type into it, as a person at the keyboard does."""
    page.keyboard.press("Tab")
    page.keyboard.type(text)


def test_an_admin_sets_a_queues_business_hours_by_keyboard(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    ctx = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai", viewport={"width": 1200, "height": 900})
    try:
        page = ctx.new_page()
        _watch_errors(page, errors)
        _sign_in(page, hub, "admin", hub.demo_password("admin"))
        queues = page.get_by_role("table", name="Queues")
        general = queues.get_by_role("row").filter(has=page.get_by_role("rowheader", name="general", exact=True))
        expect(general).to_contain_text("Always open")
        page.get_by_role("button", name="Edit queue general").press("Enter")
        always = page.get_by_role("checkbox", name="Always open")
        expect(always).to_be_checked()
        expect(page.get_by_label("Monday")).to_be_hidden()

        always.press("Space")  # the rest appears, in the browser's own time zone to start with
        zone = page.get_by_role("combobox", name="Time zone")
        expect(zone).to_have_value("Asia/Shanghai")
        page.keyboard.press("Tab")
        expect(zone).to_be_focused()
        page.keyboard.press("Control+A")
        page.keyboard.type("Asia/Shanghai")
        page.keyboard.press("Tab")
        expect(page.get_by_label("When closed", exact=True)).to_be_focused()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(page.get_by_label("When closed", exact=True)).to_have_value("callback")
        for span in ("09:00-18:00", "9:00～18:00", "09:00–18:00", "09:00 - 18:00", "9-18",
                     "10:00-12:00，13:00-16:00", "18:00-09:00"):  # Monday .. Sunday; Sunday's is backwards
            _type_in(page, span)
        _type_in(page, "2025-10-01")
        _type_in(page, CLOSED)
        save = page.get_by_role("button", name="Save queue")
        save.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("Sunday: “18:00-09:00” ends before it starts.")
        page.get_by_label("Sunday").fill("")
        page.get_by_label("Saturday").fill("10:00-12:00，13:00-16:00")
        page.get_by_label("Holidays").fill("2025-10-01, 2025-13-01")
        save.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("“2025-13-01” is not a date like 2025-10-01.")
        page.get_by_label("Holidays").fill("2025-10-01")
        page.get_by_label("Friday").fill("9am-6pm")
        save.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("Friday: “9am-6pm” is not a time span like 09:00-18:00.")
        page.get_by_label("Friday").fill("09:00-18:00")
        save.press("Enter")
        expect(page.get_by_role("status").filter(has_text="Queue general saved.")).to_be_visible()
        expect(general).to_contain_text("Asia/Shanghai · Mon–Fri 09:00–18:00; Sat 10:00–12:00, 13:00–16:00 · 1 holiday")
        expect(page.get_by_label("Monday")).to_be_hidden()  # the form is clear again: always open

        with _admin_api(hub) as http:
            stored = http.get("/api/queues/").json()[0]["hours"]
        weekly = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
        weekly["sat"] = [["10:00", "12:00"], ["13:00", "16:00"]]
        assert stored == {"timezone": "Asia/Shanghai", "weekly": weekly, "holidays": ["2025-10-01"],
                          "outside": "callback", "announcement": CLOSED}

        # Edited again, the form comes back filled; the hub's refusal of an unknown zone is shown as it says it.
        page.get_by_role("button", name="Edit queue general").press("Enter")
        expect(page.get_by_role("checkbox", name="Always open")).not_to_be_checked()
        expect(page.get_by_label("Saturday")).to_have_value("10:00-12:00, 13:00-16:00")
        expect(page.get_by_label("When closed", exact=True)).to_have_value("callback")
        page.screenshot(path=shots / "admin-hours.png", full_page=True)
        zone.fill("Mars/Olympus")
        save.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("queue general: unknown time zone 'Mars/Olympus'")

        # In Chinese: the page's own complaints in Chinese, the summary too.
        page.get_by_role("button", name="中文").click()
        expect(queues).to_be_hidden()
        zh_queues = page.get_by_role("table", name="队列")
        expect(zh_queues).to_contain_text(
            "Asia/Shanghai · 周一至周五 09:00–18:00；周六 10:00–12:00, 13:00–16:00 · 1 个节假日")
        page.get_by_role("combobox", name="时区").fill("Asia/Shanghai")
        page.get_by_label("星期一").fill("9点-18点")
        page.get_by_role("button", name="保存队列").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("星期一：“9点-18点”不是时间段，应类似 09:00-18:00。")
        page.get_by_label("星期一").fill("")
        page.get_by_role("button", name="保存队列").press("Enter")
        expect(page.get_by_role("status").filter(has_text="队列 general 已保存。")).to_be_visible()
        expect(zh_queues).to_contain_text("周二至周五 09:00–18:00")
        page.get_by_role("button", name="编辑队列 general").press("Enter")
        page.screenshot(path=shots / "admin-hours-zh.png", full_page=True)
        page.get_by_role("checkbox", name="全天候营业").press("Space")  # always open again
        page.get_by_role("button", name="保存队列").press("Enter")
        expect(zh_queues.get_by_role("row").filter(has_text="general")).to_contain_text("全天候营业")
        assert not errors, errors
    finally:
        ctx.close()


def test_an_admin_adds_users_and_changes_roles(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    ctx = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    try:
        page = ctx.new_page()
        _watch_errors(page, errors)
        _sign_in(page, hub, "admin", hub.demo_password("admin"))
        users = page.get_by_role("table", name="Users")
        expect(users.get_by_role("rowheader", name="admin")).to_contain_text("you")
        expect(users.get_by_role("combobox", name="Role of admin")).to_be_disabled()  # no locking oneself out

        # Add an editor, by keyboard; the page's own complaints first, then the hub's.
        page.get_by_label("Sign-in name").focus()
        page.keyboard.type("wang fang")
        _type_in(page, "王芳")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Role", exact=True)).to_be_focused()
        page.keyboard.press("End")  # the last role: reviewer; the one before it: editor
        page.keyboard.press("ArrowUp")
        expect(page.get_by_label("Role", exact=True)).to_have_value("editor")
        _type_in(page, "short")
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("A sign-in name is 1 to 64 letters")
        page.get_by_label("Sign-in name").fill("wang.fang")
        page.get_by_label("Initial passphrase").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")
        page.get_by_label("Initial passphrase").fill("长城 long enough")
        page.get_by_role("button", name="Add user").press("Enter")
        expect(page.get_by_role("status").filter(has_text="王芳 added.")).to_be_visible()
        expect(page.get_by_label("Sign-in name")).to_be_focused()
        expect(page.get_by_label("Sign-in name")).to_have_value("")
        expect(users.get_by_role("combobox", name="Role of wang.fang")).to_have_value("editor")
        expect(users.get_by_role("textbox", name="Skills of wang.fang")).to_be_disabled()  # editors take no chats
        expect(users.get_by_role("textbox", name="Display name of wang.fang")).to_have_value("王芳")

        page.get_by_label("Sign-in name").fill("agent")
        page.get_by_label("Initial passphrase").fill("12345678")
        page.get_by_role("button", name="Add user").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("the username agent is taken")

        # Another user's role and name.
        role = users.get_by_role("combobox", name="Role of agent")
        role.focus()
        page.keyboard.press("ArrowDown")  # agent → supervisor
        expect(role).to_have_value("supervisor")
        users.get_by_role("textbox", name="Display name of agent").fill("小李")
        users.get_by_role("button", name="Save agent").press("Enter")
        expect(page.get_by_role("status").filter(has_text="小李 saved.")).to_be_visible()
        page.screenshot(path=shots / "admin-users.png", full_page=True)

        with _admin_api(hub) as http:
            listed = {u["username"]: u for u in http.get("/api/users/").json()}
            signed_in = http.post("/api/auth/login", json={"username": "wang.fang", "password": "长城 long enough"})
        assert (listed["agent"]["role"], listed["agent"]["display_name"]) == ("supervisor", "小李")
        assert (listed["wang.fang"]["role"], listed["wang.fang"]["display_name"]) == ("editor", "王芳")
        assert signed_in.status_code == 200 and signed_in.json()["role"] == "editor"

        # In Chinese: a reviewer, and the page's complaint in Chinese.
        page.get_by_role("button", name="中文").click()
        zh_users = page.get_by_role("table", name="用户")
        expect(zh_users.get_by_role("combobox", name="agent 的角色")).to_have_value("supervisor")
        expect(zh_users.get_by_role("combobox", name="agent 的角色")).to_contain_text("班长")
        page.get_by_label("登录名").fill("li na")
        page.get_by_label("初始口令").fill("一二三四五六七八")
        page.get_by_role("button", name="添加用户").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("登录名为 1 到 64 个字母、数字或 _ . @ -（不能有空格）。")
        page.get_by_label("登录名").fill("li.na")
        page.get_by_label("显示名称", exact=True).fill("李娜")
        page.get_by_label("角色", exact=True).select_option("reviewer")
        page.get_by_role("button", name="添加用户").press("Enter")
        expect(page.get_by_role("status").filter(has_text="已添加 李娜。")).to_be_visible()
        expect(zh_users.get_by_role("combobox", name="li.na 的角色")).to_have_value("reviewer")
        page.screenshot(path=shots / "admin-users-zh.png", full_page=True)
        assert not errors, errors
    finally:
        ctx.close()
