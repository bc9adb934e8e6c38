"""A local stand-in for the WeChat Official Account API: a real HTTP server (uvicorn, in a thread of its own, on a
free port of 127.0.0.1) speaking the parts the hub uses, with WeChat's errcodes, and knobs for a test to script
failures. It runs in its own thread so that it keeps answering while a test (or a hub process) blocks.

    async with FakeWeChat() as api:              # or ``with FakeWeChat() as api:`` in synchronous code
        client = WeChatClient(api.appid, api.secret, api.base_url, tokens=MemoryTokenCache())
        await client.send_text("openid-1", "你好")
        api.sent                                 # [SentMessage(touser="openid-1", msgtype="text", ...)]
        await api.wait_sent(1)                   # waits (default 5 s) until that many messages were delivered

What it speaks (paths under ``api.base_url``):

- ``GET /cgi-bin/token``: issues a random token for ``appid``/``secret`` (``expires_in`` as configured; old tokens
  stay valid until they expire, as WeChat keeps them for a while). A wrong secret answers 40001 and an unknown
  appid 40013, as WeChat does. ``api.token_fetches`` counts the requests; ``token_delay_s`` slows each one down.
- ``POST /cgi-bin/message/custom/send``: text, image (the media_id must exist) and news (more than
  ``max_news_articles`` articles, 1 like WeChat today, answers 45008). Delivered messages land in ``api.sent``
  with the decoded JSON, the raw body and whether it held ``\\u`` escapes.
- ``POST /cgi-bin/media/upload?type=image|voice`` (multipart field ``media``) and ``GET /cgi-bin/media/get``
  (the bytes back; an unknown media_id answers 40007 as JSON labelled text/plain, like WeChat).
- ``GET /cgi-bin/user/info``: the users added with ``add_user``; anyone else answers 40003.

Every API call checks ``access_token``: missing → 41001, never issued → 40001, expired → 42001.

Knobs:

- ``expire_token(errcode=42001, times=1)``: every token issued so far now answers ``errcode``; with ``times=n`` the
  next n - 1 tokens issued are born expired too (a token refused again right after its refresh).
- ``fail_next_send(openid, errcode)``: the next send to ``openid`` answers ``errcode`` (45015, 45047, -1, ...);
  calls queue up.
- ``fail_next_request(status)``: the next request, whatever its path, answers that HTTP status (503, ...).
- ``add_media(data, content_type) -> media_id``, ``add_user(openid, nickname, headimgurl)``; ``api.media`` holds
  every stored file, ``api.calls`` every request's path in order, ``api.issued`` every token handed out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import UploadFile

OK = {"errcode": 0, "errmsg": "ok"}
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    44002: "empty post data",
    45008: "article size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}


@dataclass(frozen=True)
class SentMessage:
    touser: str
    msgtype: str
    body: dict[str, Any]  # the decoded JSON
    raw: bytes
    escaped: bool  # the raw body held \u escapes (WeChat wants UTF-8 characters)

    @property
    def content(self) -> dict[str, Any]:
        """The part named after the msgtype: {"content": ...}, {"media_id": ...} or {"articles": [...]}."""
        return dict(self.body.get(self.msgtype) or {})


@dataclass(frozen=True)
class StoredMedia:
    data: bytes
    content_type: str
    filename: str = "media"
    kind: str = "image"


@dataclass
class FakeWeChat:
    appid: str = "wx0123456789abcdef"
    secret: str = "fake-app-secret-0123456789abcdef"
    expires_in: int = 7200
    token_delay_s: float = 0.0
    max_news_articles: int = 1
    sent: list[SentMessage] = field(default_factory=list)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)  # every access token handed out
    token_fetches: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sent_changed = threading.Condition()
        self._tokens: dict[str, float] = {}  # token -> when it expires (monotonic)
        self._expired: dict[str, int] = {}  # token -> the errcode it answers
        self._born_expired, self._born_expired_code = 0, 42001
        self._send_failures: defaultdict[str, deque[int]] = defaultdict(deque)
        self._request_failures: deque[int] = deque()
        self._ids = itertools.count(1)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._socket is not None, "the fake WeChat API is not started"
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def start(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(self._app(), lifespan="off", ws="none", http="h11", log_level="warning",
                                access_log=False, timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, args=([self._socket],), name="fake-wechat")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake WeChat API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join()
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> FakeWeChat:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> FakeWeChat:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)

    # -- knobs -----------------------------------------------------------------------------------------------

    def expire_token(self, errcode: int = 42001, *, times: int = 1) -> None:
        with self._lock:
            for token in self._tokens:
                self._expired.setdefault(token, errcode)
            self._born_expired = times - 1
            self._born_expired_code = errcode

    def fail_next_send(self, openid: str, errcode: int) -> None:
        with self._lock:
            self._send_failures[openid].append(errcode)

    def fail_next_request(self, status: int) -> None:
        with self._lock:
            self._request_failures.append(status)

    def add_media(self, data: bytes, content_type: str, filename: str = "media", kind: str = "image") -> str:
        media_id = f"MEDIA_{next(self._ids)}_{secrets.token_hex(8)}"
        self.media[media_id] = StoredMedia(data, content_type, filename, kind)
        return media_id

    def add_user(self, openid: str, nickname: str = "", headimgurl: str = "") -> None:
        self.users[openid] = {"subscribe": 1, "openid": openid, "nickname": nickname, "headimgurl": headimgurl,
                              "language": "zh_CN", "subscribe_time": int(time.time())}

    async def wait_sent(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Every message delivered, once there are at least ``count``; TimeoutError after ``timeout`` seconds."""
        return await self._wait_for(lambda: list(self.sent), count, timeout)

    async def wait_sent_to(self, openid: str, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """The messages delivered to one follower, once there are at least ``count``."""
        return await self._wait_for(lambda: [m for m in self.sent if m.touser == openid], count, timeout)

    async def _wait_for(self, select: Callable[[], list[SentMessage]], count: int,
                        timeout: float) -> list[SentMessage]:
        def arrived() -> bool:
            with self._sent_changed:
                return self._sent_changed.wait_for(lambda: len(select()) >= count, timeout)

        if not await asyncio.to_thread(arrived):
            raise TimeoutError(f"{len(select())} of {count} messages reached the fake WeChat in {timeout} s")
        return select()

    # -- the protocol ----------------------------------------------------------------------------------------

    async def _issue_token(self, query: dict[str, str]) -> dict[str, Any]:
        if self.token_delay_s:
            await asyncio.sleep(self.token_delay_s)
        self.token_fetches += 1
        if query.get("grant_type") != "client_credential":
            return _error(40002)
        if query.get("appid") != self.appid:
            return _error(40013)
        if query.get("secret") != self.secret:
            return _error(40001)  # WeChat's answer to a wrong secret: the same code as a stale token
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.expires_in
            self.issued.append(token)
            if self._born_expired > 0:
                self._born_expired -= 1
                self._expired[token] = self._born_expired_code
        return {"access_token": token, "expires_in": self.expires_in}

    def _token_error(self, token: str | None) -> int:
        if not token:
            return 41001
        with self._lock:
            if token in self._expired:
                return self._expired[token]
            expires = self._tokens.get(token)
        if expires is None:
            return 40001
        return 42001 if expires < time.monotonic() else 0

    def _accept_send(self, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(47001 if raw else 44002)
        if not isinstance(body, dict) or not body.get("touser"):
            return _error(40003)
        touser, msgtype = str(body["touser"]), str(body.get("msgtype"))
        with self._lock:
            queued = self._send_failures.get(touser)
            failure = queued.popleft() if queued else 0
        if failure:
            return _error(failure)
        problem = self._check_content(msgtype, body.get(msgtype))
        if problem:
            return _error(problem)
        with self._sent_changed:
            self.sent.append(SentMessage(touser, msgtype, body, raw, b"\\u" in raw))
            self._sent_changed.notify_all()
        return OK

    def _check_content(self, msgtype: str, content: Any) -> int:
        if not isinstance(content, dict):
            return 40008 if msgtype not in {"text", "image", "news"} else 47001
        if msgtype == "text":
            return 0 if isinstance(content.get("content"), str) and content["content"] else 47001
        if msgtype == "image":
            return 0 if content.get("media_id") in self.media else 40007
        if msgtype == "news":
            articles = content.get("articles")
            if not isinstance(articles, list) or not articles:
                return 47001
            return 45008 if len(articles) > self.max_news_articles else 0
        return 40008

    async def _accept_upload(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        kind = request.query_params.get("type", "")
        if kind not in {"image", "voice", "video", "thumb"}:
            return _error(40004)
        form = await request.form()
        upload = form.get("media")
        if not isinstance(upload, UploadFile):
            return _error(41005)
        data = await upload.read()
        await upload.close()
        media_id = self.add_media(data, upload.content_type, upload.filename, kind)
        return {"type": kind, "media_id": media_id, "created_at": int(time.time())}

    def _serve_media(self, media_id: str) -> Response[Any]:
        stored = self.media.get(media_id)
        if stored is None:  # WeChat labels its JSON error text/plain on this endpoint
            return Response(json.dumps(_error(40007)).encode(), media_type="text/plain")
        disposition = f'attachment; filename="{stored.filename}"'
        return Response(stored.data, media_type=stored.content_type, headers={"content-disposition": disposition})

    def _user_info(self, openid: str) -> dict[str, Any]:
        user = self.users.get(openid)
        return dict(user) if user else _error(40003)

    async def _answer(self, request: Request[Any, Any, Any]) -> Response[Any]:
        path, query = request.url.path, dict(request.query_params)
        self.calls.append(path)
        with self._lock:
            status = self._request_failures.popleft() if self._request_failures else 0
        if status:
            return Response({"error": "scripted failure"}, status_code=status)
        if path == "/cgi-bin/token":
            return _json(await self._issue_token(query))
        errcode = self._token_error(query.get("access_token"))
        if errcode:
            return _json(_error(errcode))
        if path == "/cgi-bin/message/custom/send":
            return _json(self._accept_send(await request.body()))
        if path == "/cgi-bin/media/upload":
            return _json(await self._accept_upload(request))
        if path == "/cgi-bin/media/get":
            return self._serve_media(query.get("media_id", ""))
        return _json(self._user_info(query.get("openid", "")))

    def _app(self) -> Litestar:
        @get(["/cgi-bin/token", "/cgi-bin/media/get", "/cgi-bin/user/info"])
        async def on_get(request: Request[Any, Any, Any]) -> Response[Any]:
            return await self._answer(request)

        @post(["/cgi-bin/message/custom/send", "/cgi-bin/media/upload"], status_code=200)
        async def on_post(request: Request[Any, Any, Any]) -> Response[Any]:
            return await self._answer(request)

        return Litestar([on_get, on_post], openapi_config=None)


def _error(errcode: int) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": f"{ERRMSG.get(errcode, 'error')} rid: {secrets.token_hex(6)}"}


def _json(payload: dict[str, Any]) -> Response[Any]:
    return Response(json.dumps(payload, ensure_ascii=False).encode(), media_type="application/json; charset=utf-8")
