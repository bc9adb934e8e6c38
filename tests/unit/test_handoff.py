from __future__ import annotations

import pytest

from bot.handoff import asks_for_person


@pytest.mark.parametrize("text", [
    "human", "Agent please", "I want to talk to a person", "can I speak to someone", "REAL PERSON",
    "人工", "转人工", "我要人工客服", "请帮我转人工服务", "ＨＵＭＡＮ",
    "I need a person", "a person please", "Person, please!", "can I chat with someone", "get me a manager",
    "connect me to a staff member", "I want to speak with the manager", "put me through to someone",
])
def test_asks_for_person(text: str) -> None:
    assert asks_for_person(text)


@pytest.mark.parametrize("text", ["hello", "where is my parcel", "humanity", "agenda for today", "我的订单", "工人",
                                  "is the person who ordered notified?", "I need a personal loan",
                                  "can someone else collect my parcel", "personal data"])
def test_does_not_ask_for_person(text: str) -> None:
    assert not asks_for_person(text)
