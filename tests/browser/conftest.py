"""Fixtures for the browser tests: a real hub in a subprocess and Debian's chromium driven by playwright.

Only the ``playwright`` Python package is used; no browser is downloaded. The tests skip when
/usr/bin/chromium (or the playwright package) is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.hub import ROOT, HubServer

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the "
                    "browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    server = HubServer(tmp_path / "hub").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub_past_the_window(tmp_path: Path) -> Iterator[HubServer]:
    """A hub where a message after the resolution begins a new conversation (no reopen window)."""
    with HubServer(tmp_path / "hub", env={"HUB_REOPEN_WINDOW_S": "0"}) as server:
        yield server


@pytest.fixture
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
