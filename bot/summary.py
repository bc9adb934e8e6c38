"""The handoff summary an agent reads before the first reply: extractive, no model needed."""

from __future__ import annotations

from hub.envelopes import BotView
from hub.models import Role

MAX_CHARS = 400
REASON_TEXT = {
    "customer_request": "asked for a person",
    "sensitive_topic": "raised a sensitive topic",
    "no_knowledge": "asked something the knowledge base does not cover",
    "low_confidence": "asked something the bot was not sure about",
    "unanswered_turns": "went unanswered for several turns",
    "negative_feedback": "said the bot's answer did not help",
}


def summarise(view: BotView, reason: str, answered: list[str]) -> str:
    """``Customer asked for a person. Said: "…" / "…". Bot answered: Refunds.``"""
    said = [turn.text for turn in view.earlier if turn.role is Role.CUSTOMER] + [view.text]
    quoted = " / ".join(f"“{_clip(text, 120)}”" for text in said[-3:])
    parts = [f"Customer {REASON_TEXT.get(reason, reason.replace('_', ' '))}.", f"Said: {quoted}."]
    if answered:
        parts.append("Bot answered: " + "; ".join(dict.fromkeys(answered)) + ".")
    return _clip(" ".join(parts), MAX_CHARS)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
