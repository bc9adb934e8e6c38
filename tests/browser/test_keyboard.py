"""Every page works by keyboard alone and has labelled controls, in English and in Chinese.

Each page is opened in a real browser against a real hub, in each language, signed in, with something on it (a
chat in progress, an article, a queue, a report), and audited:

* every visible control (links, buttons, form fields, summaries, elements with a widget role or a tabindex) has
  an accessible name, as Chromium itself computes it for assistive technology (read from its accessibility tree
  over the DevTools protocol), not only a symbol such as "×", and containing the words the control shows;
* Tab, pressed from the top, reaches every visible, enabled control (a radio group or a composite widget is one
  tab stop) and comes back round to the first one: no control is left out, and no keyboard trap; with a modal
  dialog open, the dialog's controls;
* each control reached by Tab looks different when focused (outline, shadow, border or background; for a
  see-through radio, its label), and no ancestor's overflow cuts its focus outline off;
* nothing looks or acts clickable (a pointer cursor, an onclick attribute, a click listener) without being a
  control a keyboard can reach;
* after the page's language button (pressed with the keyboard), no aria-label is left in the first language.

The staff pages' sign-in screens are audited too. Flows no other test drives by keyboard alone are driven here:
the widget's rating of an answer and of the chat, and Escape; the wallboard's monitor, whisper, barge-in and stop;
the reports' period, time zone and CSV. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser import test_editor, test_pages
from tests.browser.staff import sign_in
from tests.browser.test_pages import _customer_asks, _watch_errors
from tests.browser.test_reports import _traffic

expect.set_options(timeout=10_000)

LANGS = {"en": "en-US", "zh": "zh-CN"}
CLICK_EVENTS = {"click", "dblclick", "mousedown", "mouseup", "pointerdown", "pointerup", "touchstart"}
SAME_STOP_PRESSES = 8  # Tab walks through the parts of a date or time field before leaving it

# In the page: find the controls and what looks clickable, remember how each control looks unfocused, and say
# which element has the focus (through shadow roots, as the chat widget lives in one).
AUDIT_JS = r"""() => {
  if (window.__kb) return;
  const ROLES = new Set(["button", "link", "checkbox", "radio", "switch", "tab", "menuitem", "menuitemcheckbox",
    "menuitemradio", "option", "textbox", "searchbox", "combobox", "slider", "spinbutton", "treeitem"]);
  const ITEMS = new Set(["option", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "treeitem", "radio"]);
  const NAMED_BY_TEXT = new Set(["button", "link", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option",
    "switch", "treeitem"]);
  const COMPOSITES = "[role=tablist], [role=listbox], [role=menu], [role=menubar], [role=radiogroup], [role=tree]";
  const looks = new Map();
  let counter = 0;

  function* deep(root) {
    for (const el of root.querySelectorAll("*")) {
      yield el;
      if (el.shadowRoot) yield* deep(el.shadowRoot);
    }
  }
  const parent = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  function key(el) {
    if (!el.hasAttribute("data-kb")) el.setAttribute("data-kb", "k" + counter++);
    return el.getAttribute("data-kb");
  }
  function visible(el) {
    if (!el.checkVisibility({ visibilityProperty: true })) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  }
  function control(el) {
    const role = el.getAttribute("role");
    if (role && ROLES.has(role)) return true;
    switch (el.localName) {
      case "a": return el.hasAttribute("href");
      case "button": case "select": case "textarea": return true;
      case "input": return el.type !== "hidden";
      case "summary": return parent(el).localName === "details";
      default: return el.hasAttribute("tabindex") ? el.tabIndex >= 0 : el.getAttribute("contenteditable") === "true";
    }
  }
  function describe(el) {
    const what = [el.localName, el.id, el.getAttribute("name"), el.getAttribute("aria-label"), el.textContent.trim()];
    return { key: key(el), tag: el.localName, id: el.id || "", cls: el.getAttribute("class") || "",
             html: el.outerHTML.replace(/\s+/g, " ").slice(0, 180),
             same: what.join(" ").replace(/\s+/g, " ").slice(0, 200) };  // the same control, drawn again
  }
  /* The tab stop that stands for el: a radio group, or a composite widget (or the box controlling it), is one. */
  function stop(el) {
    if (el.localName === "input" && el.type === "radio" && el.name) {
      return "radio:" + key(el.form || el.getRootNode().host || document.body) + ":" + el.name;
    }
    const box = ITEMS.has(el.getAttribute("role")) ? el.closest(COMPOSITES) : null;
    if (!box) return key(el);
    const owner = box.id ? el.getRootNode().querySelector('[aria-controls~="' + CSS.escape(box.id) + '"]') : null;
    return key(owner || box);
  }
  function look(el) {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderTopColor, s.borderBottomColor,
            s.backgroundColor, s.color, s.textDecorationLine].join(" | ");
  }
  /* What shows el's focus: el, or for a see-through or tiny control (a restyled radio) its labels. */
  function showing(el) {
    const box = el.getBoundingClientRect();
    const unseen = getComputedStyle(el).opacity === "0" || box.width < 4 || box.height < 4;
    return unseen && el.labels && el.labels.length ? [...el.labels] : [el];
  }
  /* Where an ancestor's overflow cuts off el's focus outline, if it does. */
  function clipped(el) {
    const s = getComputedStyle(el);
    const reach = s.outlineStyle === "none" ? 0 : parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
    if (reach <= 0) return null;
    const box = el.getBoundingClientRect();
    for (let up = parent(el); up && up !== document.documentElement; up = parent(up)) {
      if (getComputedStyle(up).overflow === "visible") continue;
      const outer = up.getBoundingClientRect();
      const left = outer.left + up.clientLeft, top = outer.top + up.clientTop;
      const sides = [["left", left - (box.left - reach)], ["top", top - (box.top - reach)],
                     ["right", box.right + reach - (left + up.clientWidth)],
                     ["bottom", box.bottom + reach - (top + up.clientHeight)]];
      const cut = sides.filter(([, by]) => by > 0.5).map(([side]) => side);
      if (cut.length) return cut.join(" and ") + " by " + describe(up).html.slice(0, 100);
    }
    return null;
  }
  /* The text a sighted user reads on a button or link named by aria-label(ledby): its name should contain it. */
  function shownText(el) {
    if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) return "";
    const role = el.getAttribute("role");
    if (!(role ? NAMED_BY_TEXT.has(role) : ["a", "button", "summary"].includes(el.localName))) return "";
    return el.innerText.replace(/\s+/g, " ").trim();
  }
  function pointerHere(el) {  // the pointer cursor starts here rather than being inherited
    const up = parent(el);
    return getComputedStyle(el).cursor === "pointer" && !(up && getComputedStyle(up).cursor === "pointer");
  }
  function focused() {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el === document.body || el === document.documentElement ? null : el;
  }

  function survey() {  // with a modal dialog open, only what is in it: the rest of the page is inert
    const modal = [...deep(document)].filter((el) => el.matches("dialog:modal")).pop();
    const all = modal ? [...deep(modal)] : [...deep(document)];
    const holders = new Set(), inside = new Set();  // elements with a control inside, and elements in a control
    for (const el of all.filter(control)) {
      for (let up = parent(el); up && !holders.has(up); up = parent(up)) holders.add(up);
      for (const sub of deep(el.shadowRoot || el)) inside.add(sub);
    }
    const controls = [], suspects = [];
    for (const el of all) {
      if (!visible(el)) continue;
      if (control(el)) {
        for (const shown of showing(el)) looks.set(key(shown), look(shown));
        controls.push(Object.assign(describe(el), { stop: stop(el), enabled: !el.matches(":disabled"),
                                                    text: shownText(el) }));
      } else if (!holders.has(el) && !inside.has(el) && !(el.localName === "label" && el.control)
                 && el !== document.body && el !== document.documentElement) {
        const onclick = el.hasAttribute("onclick") || el.hasAttribute("onmousedown");
        suspects.push(Object.assign(describe(el), { pointer: pointerHere(el), onclick }));
      }
    }
    return { controls, suspects };
  }
  function active() {
    const el = focused();
    if (!el) return null;
    const shown = showing(el).filter((x) => looks.has(key(x)));
    const shows = shown.length ? shown.some((x) => looks.get(key(x)) !== look(x)) : null;
    return Object.assign(describe(el), { stop: stop(el), clipped: clipped(el), shows });
  }
  function reset() {  // nothing focused, and the next Tab starts from the top of the page
    const el = focused();
    if (el && el.blur) el.blur();
    document.body.tabIndex = -1;
    document.body.focus({ preventScroll: true });
    document.body.removeAttribute("tabindex");
    window.scrollTo(0, 0);
  }
  function labels() {  // what each visible element's aria-label says now
    return [...deep(document)].filter((el) => el.hasAttribute("aria-label") && visible(el))
      .map((el) => Object.assign(describe(el), { label: el.getAttribute("aria-label") }));
  }
  window.__kb = { survey, active, reset, labels };
}"""


# ----- the audit ---------------------------------------------------------------------------------------------
def _where(item: dict[str, Any]) -> str:
    tag = item["tag"] + (f"#{item['id']}" if item["id"] else "") + "".join(f".{c}" for c in item["cls"].split())
    return f"<{tag}> {item['html']}"


def _dom_keys(cdp: Any) -> dict[int, str]:
    """backendNodeId → data-kb, for every element the audit tagged (shadow roots included)."""
    keys: dict[int, str] = {}
    stack = [cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]]
    while stack:
        node = stack.pop()
        attrs = node.get("attributes", [])
        found = dict(zip(attrs[::2], attrs[1::2], strict=True))
        if "data-kb" in found:
            keys[node["backendNodeId"]] = found["data-kb"]
        stack.extend(node.get("children", []) + node.get("shadowRoots", []))
    return keys


def _accessible(cdp: Any, keys: dict[int, str]) -> dict[str, tuple[str, str, bool]]:
    """data-kb → (role, accessible name, ignored) from Chromium's own accessibility tree."""
    found: dict[str, tuple[str, str, bool]] = {}
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        key = keys.get(node.get("backendDOMNodeId", -1))
        if key and key not in found:
            found[key] = (str(node.get("role", {}).get("value", "")), str(node.get("name", {}).get("value", "")),
                          bool(node.get("ignored")))
    return found


def _listening(cdp: Any, keys: dict[int, str]) -> set[str]:
    """data-kb of the elements with a click, mouse or pointer listener of their own."""
    document = cdp.send("Runtime.evaluate", {"expression": "document"})["result"]["objectId"]
    try:
        listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": document, "depth": -1, "pierce": True})
    finally:
        cdp.send("Runtime.releaseObject", {"objectId": document})
    return {keys[item["backendNodeId"]] for item in listeners["listeners"]
            if item["type"] in CLICK_EVENTS and item.get("backendNodeId") in keys}


def _name_findings(controls: list[dict[str, Any]], accessible: dict[str, tuple[str, str, bool]]) -> list[str]:
    findings = []
    for control in controls:
        role, name, ignored = accessible.get(control["key"], ("", "", True))
        if ignored:
            findings.append(f"hidden from assistive technology, though it can be used: {_where(control)}")
        elif not name.strip():
            findings.append(f"no accessible name (role {role or '?'}): {_where(control)}")
        elif not any(ch.isalnum() for ch in name):
            findings.append(f"named only by symbols ({name!r}): {_where(control)}")
        elif any(ch.isalnum() for ch in control["text"]) and control["text"].casefold() not in name.casefold():
            findings.append(f"its name {name!r} does not contain the text it shows, {control['text']!r}: "
                            f"{_where(control)}")
    return findings


def _clickable_findings(suspects: list[dict[str, Any]], listening: set[str]) -> list[str]:
    findings = []
    for item in suspects:
        why = [reason for reason, present in (("a pointer cursor", item["pointer"]), ("an onclick attribute",
               item["onclick"]), ("a click listener", item["key"] in listening)) if present]
        if why:
            findings.append(f"looks clickable ({', '.join(why)}) but no keyboard reaches it: {_where(item)}")
    return findings


class _Walk:
    """Tab, pressed from the top until the focus comes back round to where it started."""

    def __init__(self, page: Page, expected: int) -> None:
        self.page, self.bound = page, 4 * expected + 40
        self.order: list[str] = []
        self.seen: dict[str, dict[str, Any]] = {}
        self.reached: set[str] = set()  # tab stops, and controls by what they are (a live page redraws some)
        self.findings: list[str] = []

    def run(self) -> None:
        same, last = 0, None
        for _ in range(self.bound):
            self.page.keyboard.press("Tab")
            now = self.page.evaluate("() => window.__kb.active()")
            if now is None:  # past the last control the focus leaves the page; the next Tab starts over
                same, last = 0, None
            elif now["key"] == last:
                same += 1
                if same > SAME_STOP_PRESSES:
                    self.findings.append(f"keyboard trap: Tab stays on {_where(now)}")
                    return
            elif now["key"] in self.seen:
                if now["key"] != self.order[0]:
                    self.findings.append(f"keyboard trap: Tab goes round from {_where(now)} and misses the rest")
                return
            else:
                same, last = 0, now["key"]
                self.record(now)
        self.findings.append(f"Tab did not come back round to the first control within {self.bound} presses; "
                             f"the last ones reached: {[_where(self.seen[k]) for k in self.order[-3:]]}")

    def record(self, now: dict[str, Any]) -> None:
        self.order.append(now["key"])
        self.seen[now["key"]] = now
        self.reached.update((now["stop"], now["same"]))
        if now["shows"] is False:
            self.findings.append(f"no visible focus (looks the same focused as not): {_where(now)}")
        if now["clipped"]:
            self.findings.append(f"focus outline cut off at the {now['clipped']}: {_where(now)}")


def audit(page: Page) -> list[str]:
    """What keeps the page, as it is now, from working by keyboard alone with labelled controls."""
    page.mouse.move(0, 0)
    page.evaluate(AUDIT_JS)
    page.evaluate("() => window.__kb.reset()")
    found = page.evaluate("() => window.__kb.survey()")
    cdp = page.context.new_cdp_session(page)
    try:
        keys = _dom_keys(cdp)
        findings = _name_findings(found["controls"], _accessible(cdp, keys))
        findings += _clickable_findings(found["suspects"], _listening(cdp, keys))
    finally:
        cdp.detach()
    expected = {c["stop"]: c for c in found["controls"] if c["enabled"]}
    walk = _Walk(page, len(expected))
    walk.run()
    findings += walk.findings
    findings += [f"Tab never reaches it: {_where(c)}" for stop, c in expected.items()
                 if stop not in walk.reached and c["same"] not in walk.reached]
    page.evaluate("() => window.__kb.reset()")
    return findings


def stale_labels(page: Page) -> list[str]:
    """Switch the page's language with its language button, by keyboard: every aria-label follows."""
    before = {item["key"]: item["label"] for item in page.evaluate("() => window.__kb.labels()")}
    lang = page.evaluate("() => document.documentElement.lang")
    page.locator("#lang").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("(lang) => document.documentElement.lang !== lang", arg=lang)
    return [f"its aria-label stays {item['label']!r} in the other language: {_where(item)}"
            for item in page.evaluate("() => window.__kb.labels()")
            if before.get(item["key"]) == item["label"] and any(ch.isalpha() for ch in item["label"])]


# ----- pages with something on them --------------------------------------------------------------------------
@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    """As conftest's, with offers that wait two minutes: an audit must not outlast the offer it reads."""
    server = HubServer(tmp_path / "hub", env={"HUB_OFFER_TIMEOUT_S": "120"}).start()
    try:
        yield server
    finally:
        server.stop()


class Visit:
    """One test's browser contexts (closed with its stack), the errors its pages log, and the audits' findings."""

    def __init__(self, browser: Browser, hub: HubServer, lang: str, stack: ExitStack) -> None:
        self.browser, self.hub, self.lang, self.stack = browser, hub, lang, stack
        self.errors: list[str] = []
        self.findings: dict[str, list[str]] = {}

    def page(self, lang: str | None = None, viewport: dict[str, int] | None = None) -> Page:
        context = self.browser.new_context(locale=LANGS[lang or self.lang], timezone_id="Asia/Shanghai",
                                           viewport=viewport or {"width": 1280, "height": 900}, accept_downloads=True)
        self.stack.callback(context.close)
        context.on("dialog", lambda dialog: dialog.accept())
        page = context.new_page()
        _watch_errors(page, self.errors)
        return page

    def audit(self, screen: str, page: Page) -> None:
        self.findings[screen] = audit(page)

    def staff(self, path: str, username: str) -> Page:
        """A staff page in the visit's language: its sign-in screen audited, then signed in."""
        page = self.page()
        page.goto(f"{self.hub.http}{path}")
        expect(page.locator("#username")).to_be_visible()
        self.audit("sign-in screen", page)
        sign_in(page, self.hub, path, username, self.hub.demo_password(username), self.lang)
        expect(page.locator("#board, #app").first).to_be_visible()
        return page

    def agent(self) -> Page:
        """The demo agent on an English console, ready."""
        console = self.page("en", {"width": 1200, "height": 760})
        test_pages._sign_in(console, self.hub)
        return console

    def customer(self, text: str) -> Page:
        """An English customer on the demo page who wrote ``text`` in the widget."""
        store = self.page("en", {"width": 1000, "height": 760})
        _customer_asks(store, self.hub, text)
        return store


def _admin_api(hub: HubServer) -> AbstractContextManager[httpx.Client]:
    return test_editor._api(hub, "admin", hub.demo_password("admin"))


def _accept_offer(console: Page) -> None:
    offer = console.locator(".offer")
    expect(offer).to_have_count(1)
    offer.locator("button.primary").click()
    expect(offer).to_have_count(0)


WIDGET = {"en": ("Chat with us", "Your message"), "zh": ("在线咨询", "您的消息")}


def _demo(visit: Visit) -> Page:
    """The widget with a bot answer to rate, an agent's reply, and then, once the agent resolves, the survey."""
    test_pages._publish_hours(visit.hub)
    console = visit.agent()
    store = visit.page(viewport={"width": 1100, "height": 800})
    store.goto(f"{visit.hub.http}/")
    launcher, box = WIDGET[visit.lang]
    store.get_by_role("button", name=launcher).click()
    store.get_by_label(box).fill("When are you open?")
    store.get_by_label(box).press("Enter")
    expect(store.locator(".msg.bot .rate button")).to_have_count(2)
    store.get_by_label(box).fill("agent")  # what the bot says to type to reach a person
    store.get_by_label(box).press("Enter")
    _accept_offer(console)
    reply = console.get_by_role("textbox", name="Reply")
    reply.fill("Hello, how can I help?")
    reply.press("Enter")
    expect(store.locator(".msg.agent")).to_have_count(1)
    visit.audit("chat in progress", store)
    with _admin_api(visit.hub) as http:
        (conversation,) = http.get("/api/conversations/live").json()
        http.post(f"/api/conversations/{conversation['id']}/resolve").raise_for_status()
    expect(store.locator(".survey")).to_be_visible()
    store.locator(".survey .stars label").nth(3).click()  # four stars
    return store


def _console(visit: Visit) -> Page:
    """A conversation open (with suggested replies and the customer's profile) and another chat on offer; the
    shortcuts and the wrap-up dialogs too."""
    test_pages._publish_hours(visit.hub)
    with _admin_api(visit.hub) as http:
        http.put("/api/desk/wrap-up-codes", json=[{"code": "info", "label": "Information"}]).raise_for_status()
    console = visit.staff("/console", "agent")
    console.locator("#ready").click()
    expect(console.locator("#ready")).to_have_attribute("aria-pressed", "true")
    visit.customer("When are you open? I need a real person")
    _accept_offer(console)
    expect(console.locator("#assist")).to_be_visible()
    console.locator("#reply").fill("Hello!")
    console.locator("#reply").press("Enter")
    visit.customer("agent")  # what the bot says to type to reach a person
    expect(console.locator(".offer")).to_have_count(1)
    console.locator("#shortcuts").click()
    expect(console.locator("#keys")).to_be_visible()
    visit.audit("shortcuts dialog", console)
    console.keyboard.press("Escape")
    console.locator("#resolve").click()
    expect(console.locator("#wrap-up")).to_be_visible()
    visit.audit("wrap-up dialog", console)
    console.keyboard.press("Escape")
    expect(console.locator("#wrap-up")).to_be_hidden()
    return console


def _editor(visit: Visit) -> Page:
    """A published article open with its history and a diff, and an unanswered question ticked."""
    test_editor._publish_hours(visit.hub)
    visit.customer("do you sell gift cards")
    page = visit.staff("/editor", "admin")
    page.get_by_role("button", name="Opening hours", exact=True).click()
    expect(page.locator("#history")).to_be_visible()
    page.locator("#diff-form [type=submit]").click()
    expect(page.locator("#diff h4")).to_be_visible()
    page.locator("#misses input[type=checkbox]").first.check()
    expect(page.locator("#draft-selected")).to_be_enabled()
    return page


def _wallboard(visit: Visit) -> Page:
    """A customer with an agent, monitored."""
    console = visit.agent()
    visit.customer("I want a person")
    _accept_offer(console)
    board = visit.staff("/wallboard", "admin")
    board.locator("#live button").click()
    expect(board.locator("#monitor-log .msg")).not_to_have_count(0)
    return board


def _reports(visit: Visit) -> Page:
    """A week with conversations: answered by the bot, by the agent and rated, and abandoned."""
    _traffic(visit.hub)
    page = visit.staff("/reports", "admin")
    expect(page.locator("#hourly-chart rect")).not_to_have_count(0)
    return page


def _admin(visit: Visit) -> Page:
    """A second queue with an overflow step open in the form, its business hours shown, and a new canned response
    and wrap-up code."""
    with _admin_api(visit.hub) as http:
        http.put("/api/queues/billing", json={
            "id": "billing", "name": "Billing", "channels": ["webchat"], "skills": {"billing": 2},
            "overflow": [{"after_s": 60, "min_proficiency": 1, "also_queues": ["general"], "offer": "ticket"}],
        }).raise_for_status()
    page = visit.staff("/admin", "admin")
    page.locator("#queues tbody tr").filter(has_text="billing").get_by_role("button").first.click()
    expect(page.locator("#steps li")).to_have_count(1)
    page.locator("#h-always").uncheck()
    expect(page.locator("#hours-detail")).to_be_visible()
    page.locator("#canned-add").click()
    page.locator("#wrapups-add").click()
    return page


PAGES: dict[str, Callable[[Visit], Page]] = {
    "demo": _demo, "console": _console, "editor": _editor, "wallboard": _wallboard, "reports": _reports,
    "admin": _admin,
}


def _report(findings: dict[str, list[str]]) -> str:
    return "\n".join(f"{screen}:\n" + "\n".join(f"  - {f}" for f in found)
                     for screen, found in findings.items() if found)


@pytest.mark.parametrize("lang", list(LANGS))
@pytest.mark.parametrize("name", list(PAGES))
def test_every_control_is_named_reachable_by_tab_and_shows_its_focus(
        browser: Browser, hub: HubServer, shots: Path, name: str, lang: str) -> None:
    with ExitStack() as stack:
        visit = Visit(browser, hub, lang, stack)
        page = PAGES[name](visit)
        visit.audit("signed in" if name != "demo" else "survey", page)
        visit.findings["after switching the language"] = stale_labels(page)
        page.screenshot(path=shots / f"keyboard-{name}-{lang}.png", full_page=True)
        if any(visit.findings.values()):
            pytest.fail(f"/{'' if name == 'demo' else name} ({lang}):\n{_report(visit.findings)}", pytrace=False)
        assert not visit.errors, visit.errors


# ----- flows no other test drives by keyboard alone ----------------------------------------------------------
def _tab_to(page: Page, target: Locator, presses: int = 60, key: str = "Tab") -> None:
    """Tab (or Shift+Tab) from where the focus is until ``target`` has it (in a shadow root too)."""
    for _ in range(presses):
        page.keyboard.press(key)
        if target.evaluate("(el) => el.getRootNode().activeElement === el"):
            return
    raise AssertionError(f"{key} did not reach {target} in {presses} presses")


def test_a_customer_rates_an_answer_and_the_chat_by_keyboard_alone_and_keeps_the_focus(
        browser: Browser, hub: HubServer) -> None:
    test_pages._publish_hours(hub)
    with ExitStack() as stack:
        visit = Visit(browser, hub, "en", stack)
        store = visit.page()
        store.goto(f"{hub.http}/")
        launcher, box = store.get_by_role("button", name="Chat with us"), store.get_by_label("Your message")
        _tab_to(store, launcher)
        store.keyboard.press("Enter")
        expect(box).to_be_focused()
        store.keyboard.type("When are you open?")
        store.keyboard.press("Enter")
        answer = store.locator(".msg.bot").filter(has_text=test_pages.HOURS_ANSWER)
        _tab_to(store, answer.get_by_role("button", name="Not helpful"), presses=3, key="Shift+Tab")
        store.keyboard.press("Enter")
        expect(answer).to_contain_text("Thanks for your feedback")
        expect(answer.locator(".rate")).to_be_focused()  # not dropped to the top of the page with its buttons
        expect(store.get_by_role("status").filter(has_text="Waiting for an agent")).to_be_visible()

        console = visit.agent()
        _accept_offer(console)
        console.get_by_role("button", name="Resolve").click()
        survey = store.get_by_role("group", name="How did we do?")
        expect(survey).to_be_visible()
        _tab_to(store, survey.get_by_role("radio", name="1 of 5"), presses=3)  # on from the rated answer
        for _ in range(4):
            store.keyboard.press("ArrowRight")
        expect(survey.get_by_role("radio", name="5 of 5")).to_be_checked()
        _tab_to(store, survey.get_by_role("button", name="Send rating"), presses=2)
        store.keyboard.press("Enter")
        expect(store.locator(".survey .thanks")).to_have_text("Thank you for rating us!")
        expect(store.locator(".survey")).to_be_focused()

        store.keyboard.press("Escape")  # closes the chat, and the focus goes back to its button
        expect(store.locator("#hubchat-panel")).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        assert not visit.errors, visit.errors


def test_a_supervisor_monitors_whispers_barges_in_and_stops_by_keyboard_alone(
        browser: Browser, hub: HubServer) -> None:
    with ExitStack() as stack:
        visit = Visit(browser, hub, "en", stack)
        console = visit.agent()
        store = visit.customer("I want a person")
        _accept_offer(console)
        board = visit.page()
        sign_in(board, hub, "/wallboard", "admin", hub.demo_password("admin"))
        monitor = board.get_by_role("table", name="Conversations with agents").get_by_role("button")
        expect(monitor).to_have_count(1)
        _tab_to(board, monitor)
        board.keyboard.press("Enter")
        expect(monitor).to_have_attribute("aria-pressed", "true")
        expect(board.get_by_label("Whisper to the agent")).to_be_focused()
        board.keyboard.type("offer a voucher")
        board.keyboard.press("Enter")
        expect(console.get_by_role("log").locator(".msg.supervisor")).to_contain_text("offer a voucher")

        board.keyboard.type("I am the team lead; we will refund you today")
        _tab_to(board, board.get_by_role("button", name="Say to the customer (barge in)"), presses=3)
        board.keyboard.press("Enter")
        expect(store.locator(".msg.agent").filter(has_text="we will refund you today")).to_have_count(1)
        expect(board.get_by_label("Whisper to the agent")).to_have_value("")

        _tab_to(board, board.get_by_role("button", name="Stop monitoring"), presses=3)
        board.keyboard.press("Enter")
        expect(board.get_by_role("log")).to_be_hidden()
        expect(monitor).to_be_focused()  # back where monitoring started, not lost at the top of the page
        expect(monitor).to_have_attribute("aria-pressed", "false")

        visit.customer("agent")  # the queue changes, and the wallboard redraws its rows: the focus stays
        expect(board.get_by_role("table", name="Queues").locator("td.big")).to_have_text("1")
        expect(monitor).to_be_focused()
        assert not visit.errors, visit.errors


def test_the_report_period_time_zone_and_csv_by_keyboard_alone(browser: Browser, hub: HubServer) -> None:
    with ExitStack() as stack:
        visit = Visit(browser, hub, "en", stack)
        page = visit.page()
        sign_in(page, hub, "/reports", "admin", hub.demo_password("admin"))
        first_day = page.get_by_label("First day")
        expect(first_day).to_be_visible()
        start = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=2)  # the last day: today there
        _tab_to(page, first_day)
        page.keyboard.type(start.strftime("%m%d%Y"))  # en-US: month, day, year
        expect(first_day).to_have_value(start.isoformat())
        _tab_to(page, page.get_by_label("Time zone"), presses=8)
        page.keyboard.press("ArrowDown")  # from the browser's zone (Asia/Shanghai) to the next: UTC
        expect(page.get_by_label("Time zone")).to_have_value("UTC")
        _tab_to(page, page.get_by_role("button", name="Show"), presses=2)
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"from={start.isoformat()}&.*tz=UTC"))
        expect(page.locator("#tiles")).to_contain_text("over 3 days")

        _tab_to(page, page.get_by_role("link", name="Download CSV"), presses=2)
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        assert info.value.suggested_filename.startswith(f"report-{start.isoformat()}-to-")
        assert not visit.errors, visit.errors
