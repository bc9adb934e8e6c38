"""Handoff policy: when the bot hands a conversation to a person, with a recorded reason code."""

from __future__ import annotations

import re
import unicodedata

CUSTOMER_REQUEST = "customer_request"
NO_KNOWLEDGE = "no_knowledge"

_ENGLISH = re.compile(
    r"\b(human|agent|operator|representative|real person|live (?:agent|person|chat)|"
    r"speak to (?:a |an )?(?:person|someone|somebody)|talk to (?:a |an )?(?:person|someone|somebody))\b"
)
_CHINESE = ("转人工", "人工", "真人", "客服人员", "人工客服", "找客服", "接线员")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def asks_for_person(text: str) -> bool:
    """True when the customer asks for a person, in English or Chinese."""
    normal = _normalise(text)
    return bool(_ENGLISH.search(normal)) or any(phrase in normal for phrase in _CHINESE)
