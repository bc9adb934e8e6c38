"""The knowledge editor in a real browser against a real hub: an editor writes an article and submits it, a
reviewer publishes it and the bot answers a customer with it; a question the bot missed becomes a draft; the
version history shows a diff and rolls back; a conflicting save is refused; Chinese, synonyms, import and
export; keyboard use. Screenshots go to var/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.staff import sign_in
from tests.browser.test_pages import _customer_asks, _watch_errors

expect.set_options(timeout=10_000)

RESET_ANSWER = "Open Settings, choose Security, then Reset password."
VOICE_ANSWER = "Say reset password in the app settings."
HOURS_ANSWER = "We are open 9:00-18:00, Monday to Friday."


def _editor(page: Page, hub: HubServer, username: str, password: str, lang: str = "en") -> None:
    sign_in(page, hub, "/editor", username, password, lang)


def _context(browser: Browser, locale: str = "en-US") -> BrowserContext:
    ctx = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.on("dialog", lambda dialog: dialog.accept())
    return ctx


def _article_row(page: Page, title: str) -> Locator:
    return page.get_by_role("table", name="Articles").get_by_role("row").filter(
        has=page.get_by_role("button", name=title, exact=True))


def _notice(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


def _full_shot(page: Page, path: Path) -> None:
    """From the top: the article list sticks beside the editor, so it follows the scroll position."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


@contextmanager
def _api(hub: HubServer, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.http, timeout=60) as http:
        token = http.post("/api/auth/login", json={"username": username, "password": password}).json()["token"]
        http.headers["authorization"] = f"Bearer {token}"
        yield http


def _publish_hours(hub: HubServer) -> dict:
    with _api(hub, "admin", hub.demo_password("admin")) as http:
        article = http.post("/api/kb/articles", json={
            "title": "Opening hours", "question": "What are your opening hours?", "answer": HOURS_ANSWER,
            "similar": ["when are you open"]}).json()
        article = http.post(f"/api/kb/articles/{article['id']}/submit", json={"revision": 1}).json()
        return http.post(f"/api/kb/articles/{article['id']}/publish", json={"revision": article["revision"]}).json()


def test_an_editor_writes_an_article_a_reviewer_publishes_it_and_the_bot_answers(
        browser: Browser, hub: HubServer, shots: Path) -> None:
    assert hub.add_user("editor1", "pw-editor-1", "editor").returncode == 0
    assert hub.add_user("reviewer1", "pw-reviewer-1", "reviewer").returncode == 0
    errors: list[str] = []
    editor_ctx, reviewer_ctx, customer_ctx = _context(browser), _context(browser), _context(browser)
    try:
        page = editor_ctx.new_page()
        _watch_errors(page, errors)
        _editor(page, hub, "agent", hub.demo_password("agent"))
        expect(page.get_by_role("alert")).to_contain_text("for editors, reviewers and admins")
        _editor(page, hub, "editor1", "wrong")
        expect(page.get_by_role("alert").locator("#alert-text")).to_have_text("Wrong username or password.")
        _editor(page, hub, "editor1", "pw-editor-1")
        expect(page.get_by_role("heading", name="New article")).to_be_visible()
        expect(page.get_by_text("editor1 · Editor")).to_be_visible()

        # Keyboard only: title, question, a similar question, the answer, save.
        page.get_by_label("Title", exact=True).focus()
        page.keyboard.type("Reset password")
        page.keyboard.press("Tab")
        page.keyboard.type("How do I reset my password?")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Add a similar question")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("textbox", name="Similar question 1", exact=True)).to_be_focused()
        page.keyboard.type("I forgot my password")
        page.keyboard.press("Enter")  # Enter adds another similar question
        expect(page.get_by_role("textbox", name="Similar question 2", exact=True)).to_be_focused()
        page.keyboard.type("password reset")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Remove similar question 2")).to_be_focused()
        page.keyboard.press("Enter")  # removes it again
        expect(page.get_by_role("textbox", name="Similar question 2", exact=True)).to_have_count(0)
        page.get_by_label("Answer", exact=True).focus()
        page.keyboard.type(RESET_ANSWER)
        page.get_by_label("Voice (short and speakable)").fill(VOICE_ANSWER)
        page.locator("#article-form").get_by_label("Category").fill("Accounts/Passwords")
        page.get_by_label("Tags").fill("password, login")
        page.get_by_role("button", name="Save", exact=True).focus()
        page.keyboard.press("Enter")
        expect(_notice(page, "Saved.")).to_be_visible()
        expect(page.get_by_role("heading", name="Edit “Reset password”")).to_be_visible()
        expect(_article_row(page, "Reset password")).to_contain_text("Draft")
        expect(page.get_by_role("button", name="Publish")).to_have_count(0)  # editors do not publish

        page.get_by_role("button", name="Submit for review").click()
        expect(_notice(page, "Submitted for review.")).to_be_visible()
        expect(_article_row(page, "Reset password")).to_contain_text("In review")
        expect(page.get_by_text("Waiting for a reviewer")).to_be_visible()
        expect(page.get_by_role("group", name="Review and publishing").get_by_role("button")).to_have_text(["Archive"])

        # A reviewer finds it among those in review, and publishes it.
        review = reviewer_ctx.new_page()
        _watch_errors(review, errors)
        _editor(review, hub, "reviewer1", "pw-reviewer-1")
        review.get_by_label("State", exact=True).select_option("in_review")
        expect(review.get_by_role("table", name="Articles").get_by_role("row")).to_have_count(2)  # header + 1
        review.get_by_role("button", name="Reset password", exact=True).click()
        expect(review.get_by_role("textbox", name="Similar question 1", exact=True)).to_have_value(
            "I forgot my password")
        expect(review.get_by_label("Voice (short and speakable)")).to_have_value(VOICE_ANSWER)
        review.get_by_label("Note (optional)").fill("say where Settings is")
        review.get_by_role("button", name="Send back").click()
        expect(_notice(review, "Sent back to the editor.")).to_be_visible()

        # The editor reads the note and submits it again; the reviewer publishes it.
        page.get_by_role("button", name="Reset password", exact=True).click()
        expect(page.get_by_text("Reviewer's note: say where Settings is")).to_be_visible()
        _full_shot(page, shots / "editor-en.png")
        page.get_by_role("button", name="Submit for review").click()
        expect(_notice(page, "Submitted for review.")).to_be_visible()
        review.get_by_role("button", name="Refresh the article list").click()
        review.get_by_role("button", name="Reset password", exact=True).click()
        review.get_by_role("button", name="Publish").click()
        expect(_notice(review, "Published as version 1.")).to_be_visible()
        expect(review.locator("#edit-state")).to_contain_text("live: version 1")
        expect(review.get_by_role("table", name="Version history")).to_contain_text("v1")

        # The customer asks in other words (the similar question): the bot answers from the article.
        store = customer_ctx.new_page()
        _watch_errors(store, errors)
        _customer_asks(store, hub, "I forgot my password")
        expect(store.locator(".msg.bot").filter(has_text=RESET_ANSWER)).to_have_count(1)

        with _api(hub, "editor1", "pw-editor-1") as http:
            stored = http.get("/api/kb/articles", params={"q": "Reset"}).json()[0]
        assert stored["content"]["similar"] == ["I forgot my password"]
        assert stored["content"]["variants"] == {"voice": VOICE_ANSWER}
        assert stored["content"]["category"] == "Accounts/Passwords"
        assert stored["content"]["tags"] == ["login", "password"]
        assert not errors, errors
    finally:
        for ctx in (editor_ctx, reviewer_ctx, customer_ctx):
            ctx.close()


def test_a_missed_question_becomes_a_draft_and_another_is_dismissed(
        browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    customers = [_context(browser), _context(browser)]
    editor_ctx = _context(browser)
    try:
        for ctx, question in zip(customers, ("do you sell gift cards", "can I pay in bitcoin"), strict=True):
            store = ctx.new_page()
            _watch_errors(store, errors)
            _customer_asks(store, hub, question)  # nothing in the KB: the bot hands off and logs the miss
            expect(store.get_by_role("status").filter(has_text="Waiting for an agent")).to_be_visible()

        page = editor_ctx.new_page()
        _watch_errors(page, errors)
        _editor(page, hub, "admin", hub.demo_password("admin"))
        inbox = page.get_by_role("table", name="Unanswered questions")
        expect(inbox.get_by_role("rowheader")).to_have_count(2)
        expect(inbox).to_contain_text("Nothing in the KB")
        inbox.get_by_role("checkbox", name="Tick “can I pay in bitcoin”").check()
        expect(page.get_by_role("button", name="One article from the ticked questions")).to_be_enabled()
        _full_shot(page, shots / "editor-misses.png")

        page.get_by_role("button", name="Write an article for “do you sell gift cards”").click()
        expect(page.get_by_role("heading", name="New article from unanswered questions")).to_be_visible()
        expect(page.get_by_label("Standard question")).to_have_value("do you sell gift cards")
        answer = page.get_by_label("Answer", exact=True)
        expect(answer).to_be_focused()
        answer.fill("Yes: gift cards are sold at every counter.")
        page.get_by_label("Title", exact=True).fill("Gift cards")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(_notice(page, "Saved.")).to_be_visible()
        expect(page.get_by_role("heading", name="Edit “Gift cards”")).to_be_visible()
        expect(_article_row(page, "Gift cards")).to_contain_text("Draft")
        expect(inbox.get_by_role("rowheader")).to_have_count(1)  # drafted: out of the inbox

        page.get_by_role("button", name="Dismiss “can I pay in bitcoin”").click()
        expect(_notice(page, "Dismissed “can I pay in bitcoin”.")).to_be_visible()
        expect(page.get_by_text("No unanswered question right now.")).to_be_visible()

        with _api(hub, "admin", hub.demo_password("admin")) as http:
            drafted = http.get("/api/kb/misses", params={"status": "drafted"}).json()
            article = http.get("/api/kb/articles", params={"q": "Gift"}).json()[0]
        assert [m["text"] for m in drafted] == ["do you sell gift cards"] and drafted[0]["article_id"] == article["id"]
        assert article["content"]["question"] == "do you sell gift cards"
        assert not errors, errors
    finally:
        for ctx in (*customers, editor_ctx):
            ctx.close()


def test_the_history_shows_the_diff_of_an_edit_and_a_rollback_restores_the_old_answer(
        browser: Browser, hub: HubServer, shots: Path) -> None:
    _publish_hours(hub)
    errors: list[str] = []
    ctx = _context(browser)
    try:
        page, other = ctx.new_page(), ctx.new_page()
        for p in (page, other):
            _watch_errors(p, errors)
            _editor(p, hub, "admin", hub.demo_password("admin"))
            p.get_by_role("button", name="Opening hours", exact=True).click()
            expect(p.get_by_label("Answer", exact=True)).to_have_value(HOURS_ANSWER)

        page.get_by_label("Answer", exact=True).fill("We are open 8:00-20:00, every day.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(_notice(page, "Saved.")).to_be_visible()
        expect(page.locator("#edit-state")).to_contain_text("Draft")
        expect(page.locator("#edit-state")).to_contain_text("live: version 1")  # the published one stays live

        # The other tab saves on the revision it opened: refused, and said so; nothing is overwritten.
        other.get_by_label("Answer", exact=True).fill("Closed on Sundays.")
        other.get_by_role("button", name="Save", exact=True).click()
        expect(other.get_by_role("alert")).to_contain_text("Someone else changed this article after you opened it")
        other.get_by_role("button", name="Discard my changes").click()
        expect(other.get_by_label("Answer", exact=True)).to_have_value("We are open 8:00-20:00, every day.")

        # The diff between the live version and the working copy.
        expect(page.get_by_label("Compare version")).to_have_value("1")
        page.get_by_role("button", name="Show differences").click()
        diff = page.locator("#diff")
        expect(diff.get_by_role("heading", name="Changes from v1 to the working copy")).to_be_visible()
        expect(diff.locator(".line.del")).to_have_text("removed: " + HOURS_ANSWER)
        expect(diff.locator(".line.add")).to_have_text("added: We are open 8:00-20:00, every day.")
        page.locator("#history").screenshot(path=shots / "editor-diff.png")

        page.get_by_role("button", name="Submit for review").click()
        expect(_notice(page, "Submitted for review.")).to_be_visible()
        page.get_by_label("Note (optional)").fill("checked with the shop")
        page.get_by_role("button", name="Publish").click()
        expect(_notice(page, "Published as version 2.")).to_be_visible()
        page.get_by_label("Compare version").select_option("1")
        page.get_by_label("with", exact=True).select_option("2")
        page.get_by_role("button", name="Show differences").click()
        expect(diff.get_by_role("heading", name="Changes from v1 to v2")).to_be_visible()
        expect(diff.get_by_role("heading", name="Answer")).to_be_visible()

        page.get_by_role("button", name="Roll back to version 1").click()
        expect(_notice(page, "Version 1 is live again, as version 3.")).to_be_visible()
        expect(page.get_by_label("Answer", exact=True)).to_have_value(HOURS_ANSWER)
        history = page.get_by_role("table", name="Version history")
        expect(history.get_by_role("rowheader")).to_have_count(3)
        expect(history).to_contain_text("rollback to 1")
        _full_shot(page, shots / "editor-history.png")
        page.get_by_role("button", name="中文").click()
        page.get_by_role("button", name="显示差异").click()
        expect(diff.get_by_role("heading", name="从第 2 版到第 3 版的变化")).to_be_visible()
        expect(page.get_by_role("table", name="版本历史")).to_contain_text("回滚到第 1 版")
        page.locator("#history").screenshot(path=shots / "editor-diff-zh.png")

        with _api(hub, "admin", hub.demo_password("admin")) as http:
            found = http.get("/api/kb/search", params={"q": "when are you open"}).json()
        assert found["suggestions"][0]["answer"] == HOURS_ANSWER
        assert not errors, errors
    finally:
        ctx.close()


def test_the_editor_in_chinese_with_synonyms_import_and_export(browser: Browser, hub: HubServer, shots: Path) -> None:
    errors: list[str] = []
    ctx = _context(browser, "zh-CN")
    try:
        page = ctx.new_page()
        _watch_errors(page, errors)
        _editor(page, hub, "admin", "wrong", "zh")
        expect(page.get_by_role("alert").locator("#alert-text")).to_have_text("用户名或密码错误。")
        page.screenshot(path=shots / "editor-login-zh.png")
        _editor(page, hub, "admin", hub.demo_password("admin"), "zh")
        expect(page.get_by_role("heading", name="知识库编辑")).to_be_visible()
        expect(page.get_by_role("heading", name="未解答问题")).to_be_visible()

        # Import a CSV file: two drafts.
        csv_text = ("title,question,answer,similar,category,answer_wechat\n"
                    "退货,如何退货？,七天内可在订单页申请退货。,怎么退货|退货流程,售后/退货,在小程序订单页申请退货。\n"
                    "发票,怎么开发票？,在订单详情页申请电子发票。,,售后/发票,\n")
        page.get_by_label("要导入的文件（JSON 或 CSV）").set_input_files(
            files=[{"name": "kb.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}])
        page.get_by_role("button", name="导入", exact=True).click()
        expect(_notice(page, "已导入 2 个条目（草稿）。")).to_be_visible()
        articles = page.get_by_role("table", name="知识条目")
        expect(articles.get_by_role("rowheader")).to_have_count(2)
        page.get_by_role("search").get_by_label("分类").select_option("售后/发票")
        expect(articles.get_by_role("rowheader")).to_have_count(1)
        page.get_by_role("search").get_by_label("分类").select_option("")
        page.get_by_label("搜索标题和问题").fill("退货")
        expect(articles.get_by_role("rowheader")).to_have_count(1)

        articles.get_by_role("button", name="退货", exact=True).click()
        expect(page.get_by_role("heading", name="编辑“退货”")).to_be_visible()
        expect(page.get_by_label("微信")).to_have_value("在小程序订单页申请退货。")
        expect(page.get_by_role("textbox", name="相似问法 2", exact=True)).to_have_value("退货流程")

        # A bad save is explained in Chinese, and the empty field is marked.
        page.get_by_label("答案", exact=True).fill("")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.get_by_role("alert").locator("#alert-text")).to_have_text("标题、标准问题和答案为必填项。")
        expect(page.get_by_label("答案", exact=True)).to_be_focused()
        expect(page.get_by_label("答案", exact=True)).to_have_attribute("aria-invalid", "true")
        page.get_by_label("答案", exact=True).fill("七天内可在订单页申请退货，运费由我们承担。")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(_notice(page, "已保存。")).to_be_visible()

        # Synonyms.
        page.get_by_label("每行一组").fill("退货, 退款、退钱\nzfb, 支付宝\n孤单")
        page.get_by_role("button", name="保存同义词").click()
        expect(_notice(page, "同义词已保存（2 组）。")).to_be_visible()
        expect(page.get_by_label("每行一组")).to_have_value("退货, 退款, 退钱\nzfb, 支付宝")
        _full_shot(page, shots / "editor-zh.png")

        # Export.
        with page.expect_download() as downloading:
            page.get_by_role("button", name="下载知识库").click()
        download = downloading.value
        assert download.suggested_filename == "kb.json"
        exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
        assert {a["title"] for a in exported} == {"退货", "发票"}
        expect(_notice(page, "已下载 kb.json。")).to_be_visible()

        # Back to English with the keyboard; the choice is remembered.
        page.get_by_role("button", name="退出登录").focus()
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="English")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Knowledge editor")).to_be_visible()
        expect(page.get_by_role("heading", name="Edit “退货”")).to_be_visible()
        expect(page.get_by_label("WeChat")).to_have_value("在小程序订单页申请退货。")
        with _api(hub, "admin", hub.demo_password("admin")) as http:
            assert http.get("/api/kb/synonyms").json() == {"groups": [["退货", "退款", "退钱"], ["zfb", "支付宝"]]}
        assert not errors, errors
    finally:
        ctx.close()
