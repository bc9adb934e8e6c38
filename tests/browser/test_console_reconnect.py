"""The agent console loses its socket and reconnects: it shows what the customer wrote meanwhile, even when
newer messages reach it live before its catch-up asks for the missed ones."""

from __future__ import annotations

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Route, WebSocketRoute, expect

from tests.browser.test_pages import _console_and_widget, _handed_to_the_agent

expect.set_options(timeout=10_000)


def test_a_reconnected_console_shows_what_came_while_it_was_away(browser: Browser, hub: HubServer) -> None:
    errors: list[str] = []
    sockets: list[WebSocketRoute] = []

    def through(socket: WebSocketRoute) -> None:
        socket.connect_to_server()
        sockets.append(socket)

    (agent_ctx, customer_ctx), console, store = _console_and_widget(
        browser, hub, errors, {"width": 1000, "height": 760},
        before_sign_in=lambda page: page.route_web_socket("**/ws/agent*", through))
    try:
        _handed_to_the_agent(console, store, "a person please")
        log = console.get_by_role("log")
        expect(log.locator(".msg.customer")).to_contain_text("a person please")

        held: list[Route] = []
        console.route("**/api/conversations/", lambda route: held.append(route))  # the reconnect's refresh
        sockets[-1].close(code=4000, reason="network blip")
        box = store.get_by_label("Your message")
        box.fill("written while the console was away")
        box.press("Enter")
        for _ in range(300):  # the console reconnects (after a second or so) and starts catching up
            if held:
                break
            console.wait_for_timeout(50)
        assert held and len(sockets) == 2
        box.fill("written once it was back")
        box.press("Enter")
        expect(log.locator(".msg.customer").last).to_contain_text("written once it was back")  # live, first
        held.pop().continue_()
        console.unroute("**/api/conversations/")
        expect(log.locator(".msg.customer", has_text="written while the console was away")).to_have_count(1)
        assert not errors, errors
    finally:
        agent_ctx.close()
        customer_ctx.close()
