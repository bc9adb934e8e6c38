"""A local stand-in for an OpenAI-compatible chat-completions endpoint (the standard library's HTTP server in a
thread): it records every request and answers what the test scripted: a reply, an HTTP error or a delay."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

COMPLETIONS = "/v1/chat/completions"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


@dataclass
class Script:
    reply: str = ""
    status: int = 200
    delay_s: float = 0.0
    finish_reason: str = "stop"


@dataclass
class OpenAIServer:
    script: Script = field(default_factory=Script)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._release = threading.Event()  # ends any scripted delay when the server stops
        self._http = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._http.serve_forever, name="openai-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._release.set()
        self._http.shutdown()
        self._http.server_close()  # joins the handler threads
        self._thread.join()

    def answer(self, received: Received) -> tuple[int, dict[str, Any]]:
        if received.path != COMPLETIONS:
            return 404, _error("not found")
        if received.body.get("stream"):
            return 400, _error("streaming is not scripted")
        if self.script.delay_s:
            self._release.wait(self.script.delay_s)
        if self.script.status != 200:
            return self.script.status, _error("scripted failure")
        return 200, completion(str(received.body.get("model")), self.script.reply, self.script.finish_reason)


def completion(model: str, content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-local", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": finish_reason, "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "server_error", "param": None, "code": None}}


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close waits for every handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a test's timeout) closed its socket; nothing to report."""


def _handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}"))
            server.requests.append(received)
            status, payload = server.answer(received)
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
