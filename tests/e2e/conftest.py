from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.clients import Agent, close_all
from tests.support.hub import HubServer


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubServer]:
    """A real hub of the test's own (own data directory, own embedded Redis), on a free port."""
    with HubServer(tmp_path / "hub", env={"HUB_OFFER_TIMEOUT_S": "3"}) as server:
        yield server


@pytest.fixture
async def agent(hub: HubServer) -> AsyncIterator[Agent]:
    """The demo agent, signed in, with its websocket open, ready."""
    signed_in = await Agent.login(hub.http, hub.ws, "agent", hub.demo_password("agent"))
    await signed_in.ready()
    yield signed_in
    await signed_in.close()


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_all()
