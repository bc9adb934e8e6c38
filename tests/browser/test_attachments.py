"""Pictures both ways, in a real browser: the customer attaches one in the widget (file chooser) and it shows
in their chat and in the agent's console, served by the hub; the agent answers with one; a file of the wrong
kind is refused with a notice."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from tests.support.hub import HubServer

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, expect

from tests.browser.test_pages import _console_and_widget, _handed_to_the_agent

expect.set_options(timeout=10_000)


def _png(width: int = 40, height: int = 30) -> bytes:
    """A real (tiny, sand-coloured) PNG, so the browser draws it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xf0\xc0\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_customer_sends_a_picture_the_agent_sees(browser: Browser, hub: HubServer, tmp_path: Path,
                                                    shots: Path) -> None:
    picture = tmp_path / "receipt.png"
    picture.write_bytes(_png())
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"<html>not a picture</html>")
    errors: list[str] = []
    (agent_ctx, customer_ctx), console, store = _console_and_widget(browser, hub, errors,
                                                                    {"width": 1000, "height": 760})
    try:
        _handed_to_the_agent(console, store, "a person please, I have a receipt")

        with store.expect_file_chooser() as chooser:
            store.get_by_role("button", name="Attach a picture or file").click()
        chooser.value.set_files(str(picture))
        sent = store.locator(".msg.customer img.attachment")
        expect(sent).to_have_attribute("alt", "receipt.png")
        expect(sent).to_have_js_property("naturalWidth", 40)  # drawn: the hub served the bytes back
        seen = console.get_by_role("log").locator("a.attachment img")
        expect(seen).to_have_attribute("alt", "receipt.png")
        expect(seen).to_have_js_property("naturalWidth", 40)
        console.screenshot(path=shots / "console-attachment.png")
        store.screenshot(path=shots / "widget-attachment.png")

        # The agent answers with a picture of their own (and words); the customer sees both.
        console.get_by_role("textbox", name="Reply").fill("here is the map")
        with console.expect_file_chooser() as chooser:
            console.get_by_role("button", name="Attach a picture or file").click()
        chooser.value.set_files(str(picture))
        from_agent = store.locator(".msg.agent img.attachment")
        expect(from_agent).to_have_js_property("naturalWidth", 40)
        expect(store.locator(".msg.agent")).to_have_count(1)
        expect(store.locator(".msg.agent .caption")).to_have_text("here is the map")
        expect(console.get_by_role("textbox", name="Reply")).to_have_value("")

        with store.expect_file_chooser() as chooser:
            store.get_by_role("button", name="Attach a picture or file").click()
        chooser.value.set_files(str(fake))
        expect(store.locator(".notice")).to_contain_text("Could not send notes.png")
        expect(store.locator(".msg.customer img.attachment")).to_have_count(1)
        assert not [e for e in errors if "400" not in e], errors  # the refused upload logs its 400 only
    finally:
        agent_ctx.close()
        customer_ctx.close()
