"""An agent's concurrent conversations per media: their own setting, else the hub's default."""

from __future__ import annotations

from types import SimpleNamespace

from hub.acd import Acd
from hub.models import User, UserRole, utcnow
from hub.settings import Settings


def _capacities(**given: object) -> dict[str, int]:
    acd = Acd(SimpleNamespace(settings=Settings()))  # type: ignore[arg-type]
    return acd.capacities(User(id="u", username="u", password_hash="x", role=UserRole.AGENT, created_at=utcnow(),
                               **given))  # type: ignore[arg-type]


def test_an_agent_without_settings_gets_the_hubs_defaults() -> None:
    assert _capacities() == {"chat": 3, "voice": 1, "email": Settings().email_capacity}


def test_a_chat_capacity_of_zero_means_no_chats_not_the_default() -> None:
    assert _capacities(capacities={"chat": 0, "voice": 1})["chat"] == 0  # a voice-only agent
    assert _capacities(capacity=5)["chat"] == 5
    assert _capacities(capacity=5, capacities={"chat": 2})["chat"] == 2
