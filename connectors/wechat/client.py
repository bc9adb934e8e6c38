"""The WeChat Official Account HTTP API: access token, customer-service messages, temporary media, user info.

No hub imports: the connector turns what this returns (or raises) into the hub's terms.

Every call goes through ``WeChatClient._call``, which fetches the access token (once, for every process, through
the shared ``TokenCache``), retries once when WeChat says the token is stale, and translates WeChat's ``errcode``
into the connector error tree:

- 40001 / 40014 / 42001 (token invalid or expired): drop that token, fetch a new one, retry once; a second
  refusal in a row raises ``Retryable`` rather than looping.
- 45015 → ``OutsideWindow`` and 45047 → ``TooManyMessages`` (both ``Rejected``, with a ``reason`` and a message
  an agent can read).
- 40013 / 40125 / 40164 / 41002 / 41004 (bad appid, secret or caller IP) → ``AuthFailed``; at the token
  endpoint any refusal but "busy" is ``AuthFailed`` (WeChat answers a wrong secret there with 40001).
- -1 (busy), 45009 (API quota), HTTP 429 / 5xx, timeouts and connection errors → ``Retryable``.
- any other non-zero errcode → ``WeChatRejected`` (reason "rejected", ``errcode`` kept).

The access token and the secret travel in URL queries, so no error message here ever carries a URL; WeChat's own
``errmsg`` is scrubbed of both before it is quoted. (httpx logs every request's URL at INFO: the hub's log set-up,
``hub.logs``, masks ``token=`` and ``secret=`` there.)
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

from connectors.base import AuthFailed, Rejected, Retryable
from connectors.wechat.payloads import Article

DEFAULT_BASE_URL = "https://api.weixin.qq.com"
MAX_NEWS_ARTICLES = 8  # the custom-send schema's limit; WeChat currently accepts 1 and answers 45008 to more
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
EARLY_REFRESH_S = 300  # store a token this long less than WeChat grants (old and new overlap 5 minutes there)

TOKEN_STALE = frozenset({40001, 40014, 42001})
AUTH_CODES = frozenset({40013, 40125, 40164, 41002, 41004})
BUSY_CODES = frozenset({-1, 45009})
OUTSIDE_WINDOW, TOO_MANY_MESSAGES = 45015, 45047


class TokenCache(Protocol):
    """Where every hub process finds the account's access token (Redis in production).

    ``lock`` is a single-refresher lock that expires by itself (SET NX PX); ``invalidate`` drops the token only
    while it is still the one given, so a late caller never throws away a token another process just stored.
    """

    async def get(self, appid: str) -> str | None: ...

    async def put(self, appid: str, token: str, ttl_s: float) -> None: ...

    async def lock(self, appid: str, ttl_s: float) -> bool: ...

    async def unlock(self, appid: str) -> None: ...

    async def invalidate(self, appid: str, token: str) -> None: ...


class MemoryTokenCache:
    """A ``TokenCache`` for one process (and for tests): several clients may share one instance."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, float] = {}

    async def get(self, appid: str) -> str | None:
        token, expires = self._tokens.get(appid, ("", 0.0))
        return token if token and expires > time.monotonic() else None

    async def put(self, appid: str, token: str, ttl_s: float) -> None:
        self._tokens[appid] = (token, time.monotonic() + ttl_s)

    async def lock(self, appid: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._locks.get(appid, 0.0) > now:
            return False
        self._locks[appid] = now + ttl_s
        return True

    async def unlock(self, appid: str) -> None:
        self._locks.pop(appid, None)

    async def invalidate(self, appid: str, token: str) -> None:
        if self._tokens.get(appid, ("", 0.0))[0] == token:
            del self._tokens[appid]


class WeChatRejected(Rejected):
    """WeChat refused this request for good; ``reason`` is stable, ``errcode`` is WeChat's (None if HTTP)."""

    reason = "rejected"

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class OutsideWindow(WeChatRejected):
    reason = "outside_window"


class TooManyMessages(WeChatRejected):
    reason = "too_many_messages"


class MediaTooLarge(WeChatRejected):
    reason = "media_too_large"


@dataclass(frozen=True, slots=True)
class Media:
    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What user/info still tells (since late 2021 WeChat leaves nickname and avatar empty for most accounts)."""

    openid: str
    nickname: str | None
    headimgurl: str | None
    subscribed: bool


@dataclass(frozen=True, slots=True)
class _Reply:
    body: bytes
    content_type: str
    data: dict[str, Any] | None  # the JSON object, when the body is one

    @property
    def errcode(self) -> int:
        code = (self.data or {}).get("errcode") or 0
        return code if isinstance(code, int) else -1

    @property
    def errmsg(self) -> str:
        return str((self.data or {}).get("errmsg") or "")


class WeChatClient:
    """One Official Account's API. Close it (``aclose`` or ``async with``) unless you passed your own ``http``."""

    def __init__(
        self,
        appid: str,
        secret: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        tokens: TokenCache,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        max_download_bytes: int = MAX_DOWNLOAD_BYTES,
        lock_wait_s: float | None = None,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._base = base_url.rstrip("/")
        self._tokens = tokens
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._max_bytes = max_download_bytes
        self._lock_ttl_s = timeout + 5.0  # outlives one token fetch, so a crashed refresher frees it soon
        self._lock_wait_s = self._lock_ttl_s + 1.0 if lock_wait_s is None else lock_wait_s

    async def __aenter__(self) -> WeChatClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # -- messages ------------------------------------------------------------------------------------------

    async def send_text(self, openid: str, content: str) -> None:
        await self._send_custom(openid, "text", {"content": content})

    async def send_image(self, openid: str, media_id: str) -> None:
        await self._send_custom(openid, "image", {"media_id": media_id})

    async def send_news(self, openid: str, articles: list[Article]) -> None:
        """Sends at most ``MAX_NEWS_ARTICLES`` (8) articles, dropping the rest. WeChat currently accepts only one
        in a customer-service message and refuses more with errcode 45008 (``WeChatRejected``): pass one."""
        if not articles:
            raise WeChatRejected("A news message needs at least one article.")
        items = [_article_json(article) for article in articles[:MAX_NEWS_ARTICLES]]
        await self._send_custom(openid, "news", {"articles": items})

    async def _send_custom(self, openid: str, msgtype: str, content: dict[str, Any]) -> None:
        body = json.dumps({"touser": openid, "msgtype": msgtype, msgtype: content}, ensure_ascii=False)
        headers = {"content-type": "application/json; charset=utf-8"}
        await self._call("POST", "/cgi-bin/message/custom/send", content=body.encode(), headers=headers)

    # -- media ---------------------------------------------------------------------------------------------

    async def upload_media(
        self, kind: Literal["image", "voice"], data: bytes, filename: str, content_type: str
    ) -> str:
        """Uploads temporary media (kept 3 days by WeChat) and returns its media_id."""
        files = {"media": (filename, data, content_type)}
        reply = await self._call("POST", "/cgi-bin/media/upload", params={"type": kind}, files=files)
        media_id = (reply.data or {}).get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise Retryable("WeChat accepted the upload but returned no media_id")
        return media_id

    async def download_media(self, media_id: str) -> Media:
        """Temporary media as bytes; larger than ``max_download_bytes`` raises ``MediaTooLarge``."""
        reply = await self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, json_only=False)
        return Media(reply.body, reply.content_type or "application/octet-stream")

    # -- users ---------------------------------------------------------------------------------------------

    async def user_info(self, openid: str) -> UserInfo | None:
        """A best-effort lookup: None on any failure but our credentials being refused (``AuthFailed``)."""
        try:
            reply = await self._call("GET", "/cgi-bin/user/info", params={"openid": openid, "lang": "zh_CN"})
        except (Retryable, Rejected):
            return None
        data = reply.data or {}
        return UserInfo(
            openid=openid,
            nickname=str(data.get("nickname") or "") or None,
            headimgurl=str(data.get("headimgurl") or "") or None,
            subscribed=data.get("subscribe") == 1,
        )

    # -- the one way to call WeChat --------------------------------------------------------------------------

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json_only: bool = True, **kw: Any
    ) -> _Reply:
        token = await self._token()
        reply = await self._exchange(method, path, {**(params or {}), "access_token": token}, **kw)
        if reply.errcode in TOKEN_STALE:
            await self._tokens.invalidate(self.appid, token)
            token = await self._token()
            reply = await self._exchange(method, path, {**(params or {}), "access_token": token}, **kw)
            if reply.errcode in TOKEN_STALE:
                raise Retryable(f"WeChat refused a freshly fetched access token ({self._quote(reply, token)})")
        if json_only and reply.data is None:
            raise Retryable("WeChat's answer was not the JSON expected")
        self._raise_for(reply, token)
        return reply

    async def _exchange(self, method: str, path: str, params: dict[str, str], **kw: Any) -> _Reply:
        """One HTTP request; transport faults and HTTP statuses become connector errors, never quoting the URL."""
        try:
            async with self._http.stream(method, self._base + path, params=params, **kw) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise Retryable(f"WeChat answered HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise WeChatRejected(f"WeChat answered HTTP {response.status_code}")
                body = await self._read(response)
                content_type = response.headers.get("content-type", "")
        except httpx.TimeoutException as exc:
            raise Retryable(f"WeChat did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach WeChat ({type(exc).__name__})") from exc
        return _Reply(body, content_type.split(";")[0].strip(), _json_object(body))

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise MediaTooLarge(self._too_large())
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise MediaTooLarge(self._too_large())
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> str:
        return f"The file from WeChat is larger than the {self._max_bytes // 1024} KB this hub accepts."

    def _raise_for(self, reply: _Reply, token: str) -> None:
        code, quoted = reply.errcode, self._quote(reply, token)
        if code == 0:
            return
        if code == OUTSIDE_WINDOW:
            raise OutsideWindow(
                "The customer has not written in the last 48 hours, so WeChat no longer lets us reply. "
                "The reply can go out once the customer writes again.", code)
        if code == TOO_MANY_MESSAGES:
            raise TooManyMessages(
                "WeChat allows only a few replies until the customer writes again; this one was not sent.", code)
        if code in AUTH_CODES:
            raise AuthFailed(f"WeChat refused the account's credentials or this server's IP ({quoted})")
        if code in BUSY_CODES:
            raise Retryable(f"WeChat is busy ({quoted})")
        raise WeChatRejected(f"WeChat refused the request ({quoted})", code)

    # -- the access token ------------------------------------------------------------------------------------

    async def _token(self) -> str:
        """The cached token, or a new one fetched by exactly one process while the others wait for it."""
        token = await self._tokens.get(self.appid)
        if token:
            return token
        deadline, pause = time.monotonic() + self._lock_wait_s, 0.02
        while True:
            if await self._tokens.lock(self.appid, self._lock_ttl_s):
                try:
                    return await self._tokens.get(self.appid) or await self._fetch_token()
                finally:
                    await self._tokens.unlock(self.appid)
            if time.monotonic() >= deadline:
                raise Retryable("another process is still fetching WeChat's access token")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
            token = await self._tokens.get(self.appid)
            if token:
                return token

    async def _fetch_token(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self._secret}
        reply = await self._exchange("GET", "/cgi-bin/token", params)
        data = reply.data or {}
        if reply.errcode in BUSY_CODES:
            raise Retryable(f"WeChat is busy ({self._quote(reply)})")
        if reply.errcode:
            raise AuthFailed(f"WeChat refused the appid, secret or this server's IP ({self._quote(reply)})")
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise Retryable("WeChat's token answer had no access_token")
        await self._tokens.put(self.appid, token, _cache_ttl(expires_in))
        return token

    def _quote(self, reply: _Reply, token: str = "") -> str:
        """errcode and errmsg for a log, with the secret and the token blanked out should WeChat echo them."""
        text = f"errcode {reply.errcode}: {reply.errmsg}"
        for secret in filter(None, (self._secret, token)):
            text = text.replace(secret, "***")
        return text


def _cache_ttl(expires_in: int) -> float:
    return float(expires_in - EARLY_REFRESH_S) if expires_in > 2 * EARLY_REFRESH_S else max(1.0, expires_in / 2)


def _json_object(body: bytes) -> dict[str, Any] | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _article_json(article: Article) -> dict[str, str]:
    return {"title": article.title, "description": article.description, "url": article.url,
            "picurl": article.pic_url}
