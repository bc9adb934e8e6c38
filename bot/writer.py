"""The bot's generative mode: an answer an LLM writes from the retrieved passages only, or a refusal.

Only the best few passages (title and answer) and the customer's question reach the model. What comes back
is checked before any customer sees it (``refusal_reason``); anything that fails gives None, and the bot
falls back to the extractive answer. The check is strict on purpose: a refusal costs only the nicer
wording, an invented fact costs the customer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from kb.retriever import Found, Suggestion
from kb.text import tokens

log = logging.getLogger(__name__)

REFUSAL = "NO_ANSWER"
_REFUSED = re.compile(r"no[\s_-]?answer", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOPWORDS = frozenset(
    "a an the and or but if then than to of in on at by for with from as is are was were be been it its this that "
    "these those you your we our us i me my they them their he she his her do does did can could will would should "
    "may might must have has had so please there here what which who how when where also just any all into about "
    "up out s t re ll ve d m "
    "的 了 是 在 和 与 及 或 您 你 我 我们 他 她 它 吗 呢 吧 啊 就 都 也 还 会 要 请 个 这 那 这个 那个 "
    "可以 能 把 被 给 对 从 到 为 以 之 其 等 并 而".split()
)

SYSTEM = (
    "You are a customer-service assistant. Answer the customer's question using only the passages below. "
    "Do not add facts, links, numbers or steps that are not in the passages. Answer in the language of the "
    "question, in one to three short sentences. If the passages do not answer the question, reply with "
    "exactly {refusal} and nothing else.\n\nPassages:\n{passages}"
)
PROMPT = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{question}")])


@dataclass(frozen=True, slots=True)
class Guard:
    max_chars: int = 600  # a grounded answer is a few sentences; more is the model rambling on
    min_support: float = 0.7  # share of the answer's content words that must occur in the passages


def passage_text(suggestion: Suggestion) -> str:
    return f"{suggestion.title}\n{suggestion.answer}"


def _content(text: str) -> list[str]:
    words = (word for word in tokens(text) if word not in _STOPWORDS)
    return [word[:-1] if word.isascii() and len(word) > 3 and word.endswith("s") and not word.endswith("ss")
            else word for word in words]


def refusal_reason(answer: str, question: str, passages: list[str], guard: Guard = Guard()) -> str | None:
    """Why ``answer`` must not reach the customer, or None when it is grounded in ``passages``."""
    if not answer.strip():
        return "empty"
    if _REFUSED.search(answer):
        return "refused"
    if len(answer) > guard.max_chars:
        return "too_long"
    if bool(_CJK.search(question)) != bool(_CJK.search(answer)):
        return "language"
    support = set(_content("\n".join(passages)))
    words = _content(answer)
    if any(word not in support for word in words if any(c.isdigit() for c in word)):
        return "unsupported_number"
    if not words or sum(word in support for word in words) / len(words) < guard.min_support:
        return "unsupported"
    return None


class GroundedWriter:
    """Implements ``bot.responder.AnswerWriter`` with any langchain chat model (see ``bot.llm``)."""

    def __init__(self, model: Runnable[LanguageModelInput, BaseMessage], *, passages: int = 3,
                 timeout_s: float = 15.0, guard: Guard = Guard()) -> None:
        self.chain = PROMPT | model
        self.passages = max(1, passages)
        self.timeout_s = timeout_s
        self.guard = guard

    async def write(self, question: str, found: Found) -> str | None:
        shown = [passage_text(s) for s in found.suggestions[:self.passages]]
        if not shown or not question.strip():
            return None
        message = await self._generate(question, shown)
        if message is None:
            return None
        answer = str(message.text).strip()
        reason = refusal_reason(answer, question, shown, self.guard)
        if reason is None and message.response_metadata.get("finish_reason") == "length":
            reason = "cut_off"
        if reason is not None:
            log.info("generated answer not used: %s", reason)
            return None
        return answer

    async def _generate(self, question: str, shown: list[str]) -> BaseMessage | None:
        variables = {"refusal": REFUSAL, "passages": "\n\n".join(shown), "question": question.strip()}
        try:
            return await asyncio.wait_for(self.chain.ainvoke(variables), self.timeout_s)
        except TimeoutError:
            log.warning("answer writer gave up after %.1f s", self.timeout_s)
        except Exception as exc:
            log.warning("answer writer failed: %s", type(exc).__name__)
        return None
