"""The bot's decision for one customer turn: an answer from the KB, a request to rephrase, or a handoff."""

from __future__ import annotations

import re
from typing import Protocol

from bot.handoff import NO_KNOWLEDGE, REPHRASE, Policy
from bot.summary import summarise
from hub.envelopes import BotDecision, BotView
from hub.models import Channel, Role, Suggested
from kb.retriever import Found

SUGGESTIONS = 3
_CJK = re.compile(r"[\u3400-\u9fff]")
REPHRASE_TEXT = {
    "en": "Sorry, I'm not sure I understood. Could you say it another way? You can also type “agent” to "
          "reach a person.",
    "zh": "抱歉，我没有完全理解您的问题。能换一种说法吗？您也可以输入“转人工”联系人工客服。",
}


class KnowledgeSource(Protocol):
    @property
    def size(self) -> int:
        """Live articles (with none, every search finds nothing)."""
        ...

    async def search(self, text: str, channel: Channel) -> Found: ...


class AnswerWriter(Protocol):
    """The generative mode: writes an answer grounded only in the passages, or None to refuse."""

    async def write(self, question: str, found: Found) -> str | None: ...


def language(view: BotView) -> str:
    if _CJK.search(view.text) or (view.locale or "").lower().startswith("zh"):
        return "zh"
    return "en"


class Bot:
    def __init__(self, knowledge: KnowledgeSource | None, policy: Policy, writer: AnswerWriter | None = None) -> None:
        self.knowledge = knowledge
        self.policy = policy
        self.writer = writer

    async def search(self, text: str, channel: Channel) -> Found:
        if self.knowledge is None:
            return Found([], float("-inf"))
        return await self.knowledge.search(text, channel)

    async def respond(self, view: BotView) -> BotDecision:
        found = await self.search(view.text, view.channel)
        reason = self.policy.immediate_reason(view.text)
        if reason is not None:
            return self.handoff(view, reason, found)
        if not found.suggestions:
            return self.handoff(view, NO_KNOWLEDGE, found, missed=True)
        best = found.suggestions[0]
        if found.answers(self.policy.threshold):
            reply = best.answer
            if self.writer is not None:
                reply = await self.writer.write(view.text, found) or reply
            return BotDecision(reply=reply, source=best.ref, confidence=found.confidence)
        miss = self.policy.miss_reason(view)
        if miss is not None:
            return self.handoff(view, miss, found, missed=True)
        return BotDecision(reply=REPHRASE_TEXT[language(view)], source=REPHRASE, confidence=found.confidence,
                           missed=True)

    def handoff(self, view: BotView, reason: str, found: Found, missed: bool = False) -> BotDecision:
        answered = [turn.text[:60] for turn in view.earlier if turn.role is Role.BOT and turn.source not in
                    (None, REPHRASE)]
        return BotDecision(handoff_reason=reason, summary=summarise(view, reason, answered),
                           suggestions=suggested(found), missed=missed,
                           confidence=found.confidence if found.suggestions else None)


def suggested(found: Found, limit: int = SUGGESTIONS) -> list[Suggested]:
    return [Suggested(ref=s.ref, title=s.title, answer=s.answer, score=round(s.score, 4))
            for s in found.suggestions[:limit]]
