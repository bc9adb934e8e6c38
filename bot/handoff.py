"""Handoff policy: when the bot hands a conversation to a person, with a recorded reason code.

In order of precedence, for one customer turn:
- ``customer_request``: the customer asks for a person (English and Chinese phrasings);
- ``sensitive_topic``: the text names a configured sensitive topic (a complaint, a lawyer, fraud…);
- ``no_knowledge``: the KB has nothing published that could answer;
- ``low_confidence`` / ``unanswered_turns``: the best answer's confidence is under the calibrated
  threshold. The bot asks the customer to rephrase until ``max_misses`` consecutive turns went
  unanswered; then it hands off: ``low_confidence`` when a single miss is allowed, else
  ``unanswered_turns``.
- ``negative_feedback``: the customer marked a bot answer as not helpful (decided on the feedback,
  not on a turn).
After a handoff the bot stays silent in that conversation until an agent hands it back.
"""

from __future__ import annotations

import re
import unicodedata

from hub.envelopes import BotView

CUSTOMER_REQUEST = "customer_request"
SENSITIVE_TOPIC = "sensitive_topic"
NO_KNOWLEDGE = "no_knowledge"
LOW_CONFIDENCE = "low_confidence"
UNANSWERED_TURNS = "unanswered_turns"
NEGATIVE_FEEDBACK = "negative_feedback"
REASONS = (CUSTOMER_REQUEST, SENSITIVE_TOPIC, NO_KNOWLEDGE, LOW_CONFIDENCE, UNANSWERED_TURNS, NEGATIVE_FEEDBACK)
REPHRASE = "rephrase"  # the source recorded on the bot's "please rephrase" turns

DEFAULT_SENSITIVE = ("complaint", "complain", "lawyer", "legal action", "sue", "fraud", "scam", "ombudsman",
                     "投诉", "律师", "起诉", "诈骗", "欺诈", "消协", "工信部", "12315")

_PERSON = r"(?:a |an |the |some |real )?(?:person|someone|somebody|human being|staff member|member of staff|manager)"
_ENGLISH = re.compile(
    r"\b(human|agent|operator|representative|real person|live (?:agent|person|chat)|"
    rf"(?:speak|talk|chat) (?:to|with) {_PERSON}|"
    rf"(?:need|want|get(?: me)?|give me|connect me (?:to|with)|put me through to|transfer me to) {_PERSON}|"
    r"(?:a )?person,? please)\b"
)
_CHINESE = ("转人工", "人工", "真人", "客服人员", "人工客服", "找客服", "接线员")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def asks_for_person(text: str) -> bool:
    """True when the customer asks for a person, in English or Chinese."""
    normal = _normalise(text)
    return bool(_ENGLISH.search(normal)) or any(phrase in normal for phrase in _CHINESE)


def _term_pattern(term: str) -> str:
    escaped = re.escape(_normalise(term))
    return rf"\b{escaped}\b" if term.isascii() else escaped


class Policy:
    def __init__(self, threshold: float, max_misses: int = 2, sensitive: tuple[str, ...] = DEFAULT_SENSITIVE,
                 on_negative_feedback: bool = True) -> None:
        self.threshold = threshold
        self.max_misses = max(1, max_misses)
        self.on_negative_feedback = on_negative_feedback
        pattern = "|".join(_term_pattern(t) for t in sensitive if t.strip())
        self._sensitive = re.compile(pattern) if pattern else None

    def is_sensitive(self, text: str) -> bool:
        return bool(self._sensitive and self._sensitive.search(_normalise(text)))

    def immediate_reason(self, text: str) -> str | None:
        """A reason to hand off that needs no KB search."""
        if asks_for_person(text):
            return CUSTOMER_REQUEST
        if self.is_sensitive(text):
            return SENSITIVE_TOPIC
        return None

    def miss_reason(self, view: BotView) -> str | None:
        """After a low-confidence turn: the reason to hand off now, or None to ask for a rephrase."""
        misses = 1 + consecutive_misses(view)
        if misses < self.max_misses:
            return None
        return LOW_CONFIDENCE if self.max_misses <= 1 else UNANSWERED_TURNS


def consecutive_misses(view: BotView) -> int:
    """How many of the bot's latest turns in a row asked the customer to rephrase."""
    count = 0
    for turn in reversed(view.earlier):
        if turn.role != "bot":
            continue
        if turn.source != REPHRASE:
            break
        count += 1
    return count
