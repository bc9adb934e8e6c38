"""A GGUF model run in-process by llama.cpp, as a langchain chat model (langchain-community's ChatLlamaCpp).

One llama.cpp context generates one answer at a time, and langchain runs it in a worker thread that a
timed-out caller cannot stop. So a call that arrives while a generation is still running (even one whose
caller gave up) fails at once with ``ModelBusy`` rather than queueing threads behind it; the bot then
gives the extractive answer. ``close`` waits for a running generation before freeing the weights.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import PrivateAttr

with warnings.catch_warnings():
    # langchain-community warns on import that it is being sunset; its ChatLlamaCpp still works.
    warnings.filterwarnings("ignore", message=".*langchain-community.*", category=DeprecationWarning)
    from langchain_community.chat_models import ChatLlamaCpp
from llama_cpp import _utils as llama_utils

# llama-cpp-python opens two /dev/null files at import (to silence model loading) and never closes them.
atexit.register(llama_utils.outnull_file.close)
atexit.register(llama_utils.errnull_file.close)


class ModelBusy(RuntimeError):
    """The local model is generating another answer."""


class LocalChatModel(ChatLlamaCpp):
    _busy: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        if not self._busy.acquire(blocking=False):
            raise ModelBusy("the local model is generating another answer")
        try:
            result: ChatResult = super()._generate(messages, stop, run_manager, **kwargs)
            return result
        finally:
            self._busy.release()

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    def close(self) -> None:
        with self._busy:
            self.client.close()
