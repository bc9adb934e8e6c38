"""A WeChat follower as the hub sees one: callbacks built and signed the way WeChat's servers do, in the
account's mode (plaintext, compatibility or safe), posted to the hub's webhook; encrypted replies opened.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import httpx

from connectors.wechat.crypto import WeChatCrypto, url_signature
from connectors.wechat.payloads import parse_encrypted

ACCOUNT_ID = "gh_0123456789ab"  # our account's original id, WeChat's ToUserName
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
_msg_ids = itertools.count(6_000_000_000_000_000_000)


def account_config(account: str, appid: str, secret: str, api_base: str, mode: str = "plain",
                   **extra: Any) -> dict[str, Any]:
    config = {"id": account, "appid": appid, "secret": secret, "token": "hubtoken123", "mode": mode,
              "api_base": api_base, **extra}
    if mode != "plain":
        config["encoding_aes_key"] = AES_KEY
    return config


@dataclass
class Reply:
    status: int
    body: str  # the reply as WeChat reads it (opened when it was encrypted)

    @property
    def text(self) -> str | None:
        """The passive text reply's content, or None (``success`` or an empty body)."""
        if not self.body.startswith("<xml>"):
            return None
        return ElementTree.fromstring(self.body).findtext("Content")


class Follower:
    def __init__(self, http: httpx.AsyncClient, account: dict[str, Any], openid: str | None = None) -> None:
        self.http = http
        self.account = account
        self.openid = openid or "o" + secrets.token_urlsafe(20)
        self.crypto = WeChatCrypto(account["token"], AES_KEY, account["appid"]) if account["mode"] != "plain" \
            else None

    @property
    def url(self) -> str:
        return f"/webhooks/wechat/{self.account['id']}"

    def xml(self, msg_type: str, body: str, msg_id: int | None = None, created: int | None = None) -> str:
        head = (f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
                f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
                f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>")
        tail = f"<MsgId>{msg_id}</MsgId></xml>" if msg_id is not None else "</xml>"
        return head + body + tail

    def text_xml(self, text: str, msg_id: int | None = None) -> tuple[str, int]:
        msg_id = msg_id or next(_msg_ids)
        return self.xml("text", f"<Content><![CDATA[{text}]]></Content>", msg_id), msg_id

    def event_xml(self, event: str, key: str | None = None, created: int | None = None) -> str:
        key_part = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
        return self.xml("event", f"<Event><![CDATA[{event}]]></Event>{key_part}", created=created)

    async def say(self, text: str, msg_id: int | None = None) -> Reply:
        return await self.post(self.text_xml(text, msg_id)[0])

    async def post(self, xml: str, *, timestamp: int | None = None, tamper: bool = False,
                   appid: str | None = None) -> Reply:
        """Sign and post a callback body as WeChat would (``tamper`` spoils the signature, ``appid`` seals it
        for another account)."""
        timestamp_s, nonce = str(timestamp or int(time.time())), secrets.token_hex(5)
        params = {"timestamp": timestamp_s, "nonce": nonce,
                  "signature": url_signature(self.account["token"], timestamp_s, nonce),
                  "openid": self.openid}
        body = xml
        if self.crypto is not None:
            sealer = self.crypto if appid is None else WeChatCrypto(self.account["token"], AES_KEY, appid)
            sealed, signature = sealer.encrypt(xml, nonce, timestamp_s)
            params |= {"encrypt_type": "aes", "msg_signature": signature}
            outer = f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName><Encrypt><![CDATA[{sealed}]]></Encrypt>"
            body = outer + (xml.removeprefix("<xml>") if self.account["mode"] == "compat" else "</xml>")
        if tamper:
            key = "msg_signature" if self.crypto is not None else "signature"
            params[key] = params[key][:-1] + ("0" if params[key][-1] != "0" else "1")
        response = await self.http.post(self.url, params=params, content=body.encode("utf-8"),
                                        headers={"content-type": "text/xml"})
        return Reply(response.status_code, self._open(response.text))

    def _open(self, body: str) -> str:
        if self.crypto is None or not body.startswith("<xml>"):
            return body
        outer = parse_encrypted(body)
        fields = {tag: body.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0] for tag in ("MsgSignature", "TimeStamp",
                                                                                         "Nonce")}
        strip = {k: v.removeprefix("<![CDATA[").removesuffix("]]>") for k, v in fields.items()}
        return self.crypto.decrypt(outer.encrypt, strip["MsgSignature"], strip["TimeStamp"], strip["Nonce"])
