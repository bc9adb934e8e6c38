"""Supervisor reports in a real browser against a real hub.

Traffic goes through the hub's own protocols first (a customer the bot answers, two an agent takes, answers,
resolves and the customer rates, one left waiting and closed); then the admin reads /reports: the tiles,
the charts and their text alternatives, the agents' table, the CSV download, in English and Chinese, by
keyboard. A second hub starts on a seeded busy week (every channel, every hour) to check the charts stay
readable, wide and narrow. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from hub.auth import hash_password
from hub.models import Channel, Conversation, ConversationState, Message, Role, User, UserRole
from hub.store.sqlite import SQLiteStore
from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_pages import _watch_errors

expect.set_options(timeout=10_000)
Frame = dict[str, Any]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Socket:
    """A websocket speaking the hub's JSON frames, keeping the ones not asked for yet."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.backlog: list[Frame] = []

    def send(self, frame: Frame) -> None:
        self.ws.send(json.dumps(frame))

    def next(self, kind: str, where: Callable[[Frame], bool] = lambda f: True, timeout: float = 10.0) -> Frame:
        def wanted(frame: Frame) -> bool:
            return frame.get("type") == kind and where(frame)

        for frame in self.backlog:
            if wanted(frame):
                self.backlog.remove(frame)
                return frame
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if wanted(frame):
                return frame
            self.backlog.append(frame)


def _customer(sockets: ExitStack, hub: HubServer, text: str) -> Socket:
    customer = Socket(sockets.enter_context(connect(f"{hub.ws}/ws/webchat")))
    customer.send({"type": "hello", "token": None})
    customer.next("welcome")
    customer.send({"type": "message", "client_id": "c1", "text": text})
    return customer


def _staff(hub: HubServer, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=hub.http, timeout=60)
    token = http.post("/api/auth/login", json={"username": username, "password": password}).json()["token"]
    http.headers["authorization"] = f"Bearer {token}"
    return http


def _publish(admin: httpx.Client) -> None:
    article = admin.post("/api/kb/articles", json={
        "title": "Opening hours", "question": "What are your opening hours?",
        "answer": "We are open 9:00-18:00, Monday to Friday.", "similar": ["when are you open"]}).json()
    revision = admin.post(f"/api/kb/articles/{article['id']}/submit", json={"revision": article["revision"]})
    admin.post(f"/api/kb/articles/{article['id']}/publish", json={"revision": revision.json()["revision"]}
               ).raise_for_status()


def _helped_and_rated(sockets: ExitStack, hub: HubServer, agent: httpx.Client, agent_ws: Socket, rating: int
                      ) -> None:
    customer = _customer(sockets, hub, "转人工")
    offer = agent_ws.next("offer")
    agent.post(f"/api/conversations/{offer['conversation_id']}/accept").raise_for_status()
    time.sleep(0.2)
    agent.post(f"/api/conversations/{offer['conversation_id']}/messages", json={"text": "您好"}).raise_for_status()
    agent.post(f"/api/conversations/{offer['conversation_id']}/resolve").raise_for_status()
    customer.next("status", where=lambda f: f["state"] == "resolved")
    customer.send({"type": "survey", "rating": rating})
    customer.next("survey_received")


def _traffic(hub: HubServer) -> None:
    """Four conversations: the bot answers one, the agent handles two (rated 5 and 4), one is abandoned."""
    with ExitStack() as sockets:
        admin = sockets.enter_context(closing(_staff(hub, "admin", hub.demo_password("admin"))))
        agent = sockets.enter_context(closing(_staff(hub, "agent", hub.demo_password("agent"))))
        token = agent.headers["authorization"].split()[1]
        agent_ws = Socket(sockets.enter_context(connect(f"{hub.ws}/ws/agent?token={token}")))
        _publish(admin)
        _customer(sockets, hub, "when are you open?").next("message", where=lambda f: f["role"] == "bot")
        agent_ws.next("welcome")
        agent.post("/api/agent/state", json={"state": "ready"}).raise_for_status()
        for rating in (5, 4):
            _helped_and_rated(sockets, hub, agent, agent_ws, rating)
        agent.post("/api/agent/state", json={"state": "not_ready"}).raise_for_status()
        queued = _customer(sockets, hub, "转人工").next("status", where=lambda f: f["state"] == "queued")
        admin.post(f"/api/conversations/{queued['conversation_id']}/resolve").raise_for_status()


def _sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")


def _tile(page: Page, label: str) -> Any:
    return page.locator("#tiles").get_by_role("listitem").filter(has_text=label)


def _download(page: Page, link: str, by_keyboard: bool = False) -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        if by_keyboard:
            page.get_by_role("link", name=link).focus()
            page.keyboard.press("Enter")
        else:
            page.get_by_role("link", name=link).click()
    body = Path(info.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return info.value.suggested_filename, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_a_supervisor_reads_the_reports_in_english_and_chinese(browser: Browser, hub: HubServer,
                                                               shots: Path) -> None:
    _traffic(hub)
    errors: list[str] = []
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _watch_errors(page, errors)
        page.goto(f"{hub.http}/reports")
        _sign_in(page, "agent", hub.demo_password("agent"))
        expect(page.get_by_role("alert")).to_contain_text("Reports are for supervisors and admins.")
        _sign_in(page, "admin", hub.demo_password("admin"))

        today = datetime.now(SHANGHAI).date()
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Shanghai")
        expect(page.get_by_label("First day")).to_have_value((today - timedelta(days=6)).isoformat())
        expect(page.get_by_label("Last day")).to_have_value(today.isoformat())
        expect(_tile(page, "Contacts")).to_contain_text("4")
        expect(_tile(page, "Contacts")).to_contain_text("over 7 days")
        expect(_tile(page, "Avg handle time")).to_contain_text("2 handled by agents")
        expect(_tile(page, "Avg first response")).to_contain_text(re.compile(r"\d+(\.\d)? s\s*2 first responses"))
        expect(_tile(page, "Abandon rate")).to_contain_text("33.3%")
        expect(_tile(page, "Abandon rate")).to_contain_text("1 of 3 queued")
        expect(_tile(page, "Bot containment")).to_contain_text("25%")
        expect(_tile(page, "Satisfaction")).to_contain_text("4.5 / 5")
        expect(_tile(page, "Satisfaction")).to_contain_text("2 rated")

        hourly = page.get_by_role("img", name=re.compile(r"^Contacts per hour by channel: 4 in all, busiest hour"))
        expect(hourly).to_be_visible()
        expect(page.locator("#hourly-chart rect")).not_to_have_count(0)
        expect(page.locator("#hourly-chart")).to_contain_text("Hour of day (Asia/Shanghai)")
        hour_rows = page.get_by_role("table", name="Contacts per hour by channel").get_by_role("row")
        expect(hour_rows).to_have_count(25)
        expect(page.get_by_role("img", name="Satisfaction ratings: 1 star: 0, 2 stars: 0, 3 stars: 0, 4 stars: 1, "
                                            "5 stars: 1.")).to_be_visible()
        agents = page.get_by_role("table", name="Agents")
        expect(agents.get_by_role("row").filter(has=page.get_by_role("rowheader", name="agent"))).to_contain_text("2")
        page.screenshot(path=shots / "reports-en.png", full_page=True)

        name, rows = _download(page, "Download CSV")
        start, end = (today - timedelta(days=6)).isoformat(), (today + timedelta(days=1)).isoformat()
        assert name == f"report-{start}-to-{end}.csv"
        assert rows[:3] == [["Period"], ["From", "To (not included)", "Time zone"], [start, end, "Asia/Shanghai"]]
        summary = dict(r for r in rows if len(r) == 2)
        assert (summary["Contacts"], summary["Abandon rate"], summary["Average satisfaction (1-5)"]) == (
            "4", "0.333", "4.5")

        # A period that ends before it starts is refused in words, then a one-day period by keyboard alone.
        page.get_by_label("First day").fill((today + timedelta(days=1)).isoformat())
        page.get_by_label("First day").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("The last day must not be before the first day.")
        page.get_by_label("First day").fill(today.isoformat())
        page.get_by_label("Last day").focus()
        page.keyboard.press("Enter")
        expect(_tile(page, "Contacts")).to_contain_text("in 1 day")
        expect(_tile(page, "Contacts")).to_contain_text("4")
        assert "from=" + today.isoformat() in page.url

        page.get_by_role("button", name="中文").click()
        expect(page.get_by_role("heading", name="统计报表")).to_be_visible()
        expect(_tile(page, "放弃率")).to_contain_text("排队 3 个中放弃 1 个")
        expect(_tile(page, "满意度")).to_contain_text("4.5 / 5")
        expect(page.locator("#hourly-chart")).to_contain_text("时段（Asia/Shanghai）")
        expect(page.get_by_role("img", name=re.compile("^各渠道每小时进线量：共 4 个"))).to_be_visible()
        expect(page.get_by_label("时区")).to_contain_text("Asia/Shanghai（北京时间）")
        page.screenshot(path=shots / "reports-zh.png", full_page=True)
        name, rows = _download(page, "下载 CSV", by_keyboard=True)
        assert rows[0] == ["统计周期"] and ["进线量", "4"] in rows and ["agent", "2"] == rows[-1][:2]

        page.goto(f"{hub.http}/wallboard")  # the same session there, and a link back here
        expect(page.get_by_role("table", name="队列")).to_be_visible()
        page.get_by_role("link", name="统计报表").click()
        expect(_tile(page, "进线量")).to_contain_text("4")
        assert errors == []
    finally:
        context.close()


# ----- a busy week, seeded into the store before the hub starts ---------------------------------------------
AGENTS = {"li": "李娜", "wang": "王强", "emma": "Emma Brown"}
BUSY = [1, 0, 0, 0, 0, 0, 1, 2, 6, 11, 14, 12, 9, 10, 13, 12, 10, 8, 6, 5, 4, 3, 2, 1]  # by local hour


def _busy_conversation(rng: random.Random, created: datetime, n: int) -> tuple[Conversation, list[Message]]:
    channel = rng.choices(list(Channel), weights=[5, 6, 2, 2])[0]
    conversation = Conversation(id=f"busy{n}", contact_id=f"k{n}", channel=channel, state=ConversationState.RESOLVED,
                                created_at=created, updated_at=created, resolved_at=created + timedelta(minutes=3))
    said = [Message(id=f"m{n}", conversation_id=conversation.id, seq=0, role=Role.CUSTOMER, text="?",
                    channel=channel, created_at=created)]
    fate = rng.random()
    if fate < 0.35:
        return conversation, said  # the bot answered
    queued = created + timedelta(seconds=20)
    conversation.queued_at = queued
    if fate < 0.45:
        return conversation, said  # abandoned
    conversation.assigned_at = queued + timedelta(seconds=rng.randint(5, 90))
    conversation.resolved_at = conversation.assigned_at + timedelta(seconds=rng.randint(120, 900))
    conversation.agent_id = rng.choice(list(AGENTS))
    conversation.csat = rng.choices([1, 2, 3, 4, 5, None], weights=[1, 1, 3, 6, 9, 6])[0]
    said.append(Message(id=f"a{n}", conversation_id=conversation.id, seq=0, role=Role.AGENT, text="hi",
                        channel=channel, created_at=conversation.assigned_at + timedelta(seconds=rng.randint(3, 40))))
    return conversation, said


async def _seed(data_dir: Path, password: str) -> int:
    store = SQLiteStore(data_dir / "hub.sqlite3")
    await store.open()
    now = datetime.now(UTC)
    await store.add_user(User(id="admin", username="admin", password_hash=hash_password(password),
                              role=UserRole.ADMIN, created_at=now))
    for user_id, name in AGENTS.items():
        await store.add_user(User(id=user_id, username=user_id, password_hash="x", role=UserRole.AGENT,
                                  created_at=now, display_name=name))
    rng, n = random.Random(7), 0
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(7):  # this week: today and the six days before it, local
        for hour, volume in enumerate(BUSY):
            for _ in range(rng.randint(volume // 2, volume)):
                created = (today - timedelta(days=day, hours=-hour, minutes=-rng.randint(0, 59))).astimezone(UTC)
                if created > now:
                    continue
                conversation, said = _busy_conversation(rng, created.replace(microsecond=0), n)
                await store.create_conversation(conversation)
                for message in said:
                    await store.add_message(message)
                n += 1
    await store.close()
    return n


def _overlapping(page: Page, selector: str) -> list[tuple[int, int]]:
    """Pairs of the elements' boxes that overlap on screen."""
    found = page.locator(selector)
    boxes = [box for box in (found.nth(i).bounding_box() for i in range(found.count())) if box is not None]

    def apart(a: dict[str, float], b: dict[str, float]) -> bool:
        return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"])

    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if not apart(boxes[i], boxes[j])]


def test_a_busy_week_draws_readable_charts(browser: Browser, tmp_path: Path, shots: Path) -> None:
    server = HubServer(tmp_path / "busy")
    server.data_dir.mkdir(parents=True)
    with ThreadPoolExecutor(1) as pool:  # the seeding store runs its own event loop, away from playwright's
        seeded = pool.submit(asyncio.run, _seed(server.data_dir, "pw-admin-123")).result()
    errors: list[str] = []
    with server:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            _watch_errors(page, errors)
            page.goto(f"{server.http}/reports")
            expect(page.get_by_role("heading", name="统计报表")).to_be_visible()
            page.get_by_role("button", name="English").click()
            _sign_in(page, "admin", "pw-admin-123")
            expect(_tile(page, "Contacts")).to_contain_text(str(seeded))  # this week, as the page opens on it
            expect(page.locator("#hourly-chart rect")).not_to_have_count(0)
            expect(page.get_by_role("table", name="Agents").get_by_role("rowheader")).to_have_count(3)
            expect(page.get_by_role("rowheader", name="李娜")).to_be_visible()
            assert not _overlapping(page, "#hourly-chart text") and not _overlapping(page, "#csat-chart text")
            page.screenshot(path=shots / "reports-busy-en.png", full_page=True)
            page.get_by_role("button", name="中文").click()
            page.set_viewport_size({"width": 700, "height": 900})
            expect(page.locator("#hourly-chart svg")).to_have_attribute("width", re.compile(r"^[3-6]\d\d$"))
            assert page.locator("#hourly-chart text.tick[text-anchor='middle']").count() < 24  # fewer where narrow
            assert not _overlapping(page, "#hourly-chart text") and not _overlapping(page, "#csat-chart text")
            page.screenshot(path=shots / "reports-busy-zh-narrow.png", full_page=True)
            assert errors == []
        finally:
            context.close()
