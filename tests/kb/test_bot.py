"""The bot on a real retriever (the offline model): answers, rephrases, and every handoff reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import Bot, Policy
from bot.handoff import REPHRASE
from hub.envelopes import BotView, Turn
from hub.models import Channel, Role, utcnow
from kb.articles import ArticleContent, ArticleVersion
from kb.embedder import Embedder
from kb.retriever import Found, Retriever
from kb.synonyms import Synonyms


def version(article_id: str, title: str, question: str, answer: str, similar: list[str] | None = None,
            **extra) -> ArticleVersion:
    content = ArticleContent(title=title, question=question, answer=answer, similar=similar or [], **extra)
    return ArticleVersion(article_id=article_id, version=3, content=content, published_at=utcnow())


KB = [
    version("hours", "Opening hours", "What are your opening hours?", "We are open 9:00-18:00, Monday to Friday.",
            ["when are you open", "what time do you close"], variants={Channel.VOICE: "Nine to six, weekdays."}),
    version("refund", "Refunds", "How do I get a refund?", "Open Orders, choose the order, then Refund.",
            ["I want my money back", "refund my order"]),
    version("wifi", "Airport wifi", "How do I connect to the airport wifi?", "Join the network AIRPORT-FREE.",
            ["is there free internet", "wifi password"]),
    version("baggage", "行李", "托运行李的重量限制是多少？", "经济舱每件行李不超过23公斤。",
            ["行李超重怎么办", "可以带几件行李"]),
]


class Source:
    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever

    @property
    def size(self) -> int:
        return self.retriever.size

    async def search(self, text: str, channel: Channel) -> Found:
        return self.retriever.search(text, channel)


@pytest.fixture(scope="module")
def retriever(embedder: Embedder) -> Retriever:
    return Retriever(embedder, KB)


def view(text: str, earlier: list[Turn] | None = None, channel: Channel = Channel.WEBCHAT) -> BotView:
    return BotView(conversation_id="c1", channel=channel, text=text, earlier=earlier or [])


def bot(retriever: Retriever, **policy) -> Bot:
    return Bot(Source(retriever), Policy(**{"threshold": 1.0, **policy}))


async def test_a_paraphrase_is_answered_with_its_article_and_version(retriever: Retriever) -> None:
    decision = await bot(retriever).respond(view("when do you open?"))
    assert not decision.hands_off and decision.source == "hours@3"
    assert decision.reply == "We are open 9:00-18:00, Monday to Friday."


async def test_the_answer_is_the_channels_variant(retriever: Retriever) -> None:
    decision = await bot(retriever).respond(view("what are your opening hours", channel=Channel.VOICE))
    assert decision.reply == "Nine to six, weekdays."


async def test_chinese_questions_are_answered_through_lexical_retrieval(retriever: Retriever) -> None:
    decision = await bot(retriever).respond(view("我的行李超重了怎么办"))
    assert decision.source == "baggage@3", decision


async def test_a_request_for_a_person_hands_off_with_suggestions_and_a_summary(retriever: Retriever) -> None:
    earlier = [Turn(role=Role.CUSTOMER, text="I want my money back"),
               Turn(role=Role.BOT, text="Open Orders, choose the order, then Refund.", source="refund@3")]
    decision = await bot(retriever).respond(view("转人工", earlier))
    assert decision.handoff_reason == "customer_request"
    assert decision.summary is not None and "asked for a person" in decision.summary
    assert "I want my money back" in decision.summary and "Bot answered" in decision.summary


async def test_a_sensitive_topic_hands_off_at_once(retriever: Retriever) -> None:
    decision = await bot(retriever).respond(view("I will file a complaint about my refund"))
    assert decision.handoff_reason == "sensitive_topic"
    assert decision.suggestions and decision.suggestions[0].ref == "refund@3"
    custom = await bot(retriever, sensitive=("refund",)).respond(view("refund my order"))
    assert custom.handoff_reason == "sensitive_topic"


async def test_an_unknown_question_asks_to_rephrase_then_hands_off(retriever: Retriever) -> None:
    first = await bot(retriever).respond(view("what is the capital of mongolia"))
    assert not first.hands_off and first.source == REPHRASE and first.missed
    earlier = [Turn(role=Role.CUSTOMER, text="what is the capital of mongolia"),
               Turn(role=Role.BOT, text=first.reply or "", source=REPHRASE)]
    second = await bot(retriever).respond(view("tell me about volcanoes", earlier))
    assert second.handoff_reason == "unanswered_turns" and second.missed
    chinese = await bot(retriever).respond(view("火星上有水吗"))
    assert chinese.reply is not None and "转人工" in chinese.reply


async def test_with_one_miss_allowed_low_confidence_hands_off_at_once(retriever: Retriever) -> None:
    decision = await bot(retriever, max_misses=1).respond(view("what is the capital of mongolia"))
    assert decision.handoff_reason == "low_confidence" and decision.missed


async def test_an_empty_kb_has_no_knowledge() -> None:
    decision = await Bot(None, Policy(1.0)).respond(view("what are your opening hours"))
    assert decision.handoff_reason == "no_knowledge"


async def test_an_answer_outside_its_validity_window_is_not_given(embedder: Embedder) -> None:
    now = utcnow()
    expired = version("sale", "Summer sale", "Is there a summer sale?", "Yes, 20% off.", ["summer discount"],
                      valid_from=now - timedelta(days=30), valid_to=now - timedelta(days=1))
    future = version("winter", "Winter sale", "Is there a winter sale?", "Yes, 30% off.", ["winter discount"],
                     valid_from=now + timedelta(days=1))
    retriever = Retriever(embedder, [*KB, expired, future])
    found = retriever.search("is there a summer sale")
    assert "sale" not in [s.article_id for s in found.suggestions]
    assert retriever.search("is there a summer sale", now=now - timedelta(days=2)).best.article_id == "sale"
    assert "winter" not in [s.article_id for s in retriever.search("is there a winter sale").suggestions]


async def test_synonyms_reach_questions_worded_differently(embedder: Embedder) -> None:
    kb = [version("pay", "Payment", "Can I pay with alipay?", "Yes, Alipay is accepted."),
          version("ship", "Shipping", "How long does shipping take?", "Three days.")]
    plain = Retriever(embedder, kb).search("can I pay with zfb")  # the same query, without the dictionary
    assert not plain.answers(1.0) or plain.best.article_id != "pay"
    with_synonyms = Retriever(embedder, kb, Synonyms([["alipay", "zfb", "支付宝"]]))
    assert with_synonyms.search("can I pay with zfb").answers(1.0)
    assert with_synonyms.search("can I pay with zfb").best.article_id == "pay"
    assert with_synonyms.search("能用支付宝吗").best.article_id == "pay"
