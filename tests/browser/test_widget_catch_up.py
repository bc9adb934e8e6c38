"""The widget's catch-up after a dropped socket, in a real browser against a real hub, when messages came out of
order: several hub processes may deliver two messages written at the same moment in either order, so a socket
can drop after the later one arrived and before the earlier one did. The reconnect must still bring the earlier
one (the widget's cursor stops at the gap), not skip it for good."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, WebSocketRoute, expect

from tests.browser.test_pages import _console_and_widget, _handed_to_the_agent

expect.set_options(timeout=10_000)


class OutOfOrder:
    """Between the widget and the hub: on the first socket, the agent's message ``held`` is kept back; when the
    next agent message has reached the page, that socket drops (the held one is lost with it). Later sockets
    pass everything. Every hello the page sends is kept."""

    def __init__(self, held: str) -> None:
        self.held = held
        self.sockets = 0
        self.hellos: list[dict] = []
        self.held_seq = 0

    def route(self, page_side: WebSocketRoute) -> None:
        self.sockets += 1
        first = self.sockets == 1
        hub_side = page_side.connect_to_server()
        holding: list[str] = []

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "hello":
                self.hellos.append(frame)
            hub_side.send(message)

        def from_hub(message: str | bytes) -> None:
            frame = json.loads(message)
            agents = frame.get("type") == "message" and frame.get("role") == "agent"
            if first and agents and frame["text"] == self.held:
                holding.append(frame)
                self.held_seq = frame["seq"]
                return
            page_side.send(message)
            if first and agents and holding:
                page_side.close()  # the page's socket drops before the held message arrives
                hub_side.close()

        page_side.on_message(from_page)
        hub_side.on_message(from_hub)


def test_a_message_overtaken_before_the_socket_dropped_comes_with_the_catch_up(browser: Browser, hub: HubServer,
                                                                                shots: Path) -> None:
    errors: list[str] = []
    between = OutOfOrder(held="first of two")
    (agent_ctx, customer_ctx), console, store = _console_and_widget(
        browser, hub, errors, {"width": 900, "height": 700})
    try:
        store.route_web_socket(re.compile(r"/ws/webchat"), between.route)
        store.reload()  # the widget's socket now goes through the router
        store.get_by_role("button", name="Chat with us").click()
        _handed_to_the_agent(console, store, "a person please")
        reply = console.get_by_label("Reply")
        for text in ("first of two", "my question", "second of two"):
            if text == "my question":  # the customer writes in between, not having seen the held message
                store.get_by_label("Your message").fill(text)
                store.get_by_label("Your message").press("Enter")
            else:
                reply.fill(text)
                console.get_by_role("button", name="Send").click()
            expect(console.get_by_role("log").locator(".msg", has_text=text)).to_have_count(1)
        said = store.locator(".msg.agent .bubble, .msg.customer .bubble")
        expect(said).to_have_text(["a person please", "first of two", "my question", "second of two"],
                                  timeout=20_000)  # caught up, and in its place
        assert between.sockets >= 2
        hello = between.hellos[-1]
        assert 0 < hello["after_seq"] < between.held_seq, hello  # the cursor stopped at the gap
        store.screenshot(path=shots / "widget-caught-up.png")
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
