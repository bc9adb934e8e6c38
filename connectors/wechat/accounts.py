"""The WeChat Official Accounts the hub serves, as configured (``HUB_WECHAT_FILE``, YAML or JSON).

Each account has its callback at ``/webhooks/wechat/{id}``; the appid, secret, token and EncodingAESKey are
the ones set in the account's developer settings (基本配置), and ``mode`` is its message encryption mode:
``plain`` (明文), ``compat`` (兼容) or ``safe`` (安全). Menu keys map to a question the bot answers as if the
customer had typed it, or to a person in a queue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import msgspec
import yaml

AccountId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Nonempty = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
AesKey = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9+/]{43}$")]

DEFAULT_API = "https://api.weixin.qq.com"
WELCOME = "您好，欢迎关注！请直接发送您的问题；如需人工客服，请回复“转人工”。"


class MenuAction(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | None = None  # asked of the bot
    queue: Nonempty | None = None  # a person, in this queue

    def __post_init__(self) -> None:
        if (self.text is None) == (self.queue is None):
            raise ValueError("a menu key maps to a text or to a queue (one of them)")


class WeChatAccount(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: AccountId
    appid: Nonempty
    secret: Nonempty
    token: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9]{3,32}$")]  # WeChat's rule for the Token
    encoding_aes_key: AesKey | None = None
    mode: Literal["plain", "compat", "safe"] = "plain"
    api_base: Nonempty = DEFAULT_API
    reply_budget_s: Annotated[float, msgspec.Meta(gt=0, le=4.5)] = 4.0  # WeChat waits 5 s for the passive reply
    locale: str = "zh-CN"  # new followers' language until they tell us otherwise
    welcome: Annotated[str, msgspec.Meta(max_length=600)] = WELCOME
    menu: dict[str, MenuAction] = {}
    fetch_profile: bool = False  # look up a new follower's nickname and avatar (user/info)

    def __post_init__(self) -> None:
        if self.mode != "plain" and self.encoding_aes_key is None:
            raise ValueError(f"account {self.id}: {self.mode} mode needs its encoding_aes_key")


def parse_accounts(data: object) -> list[WeChatAccount]:
    """Accounts from the decoded file (a list, or ``{"accounts": [...]}``); ValueError says what is wrong."""
    if isinstance(data, dict):
        data = data.get("accounts")
    try:
        accounts = msgspec.convert(data, list[WeChatAccount])
    except msgspec.ValidationError as exc:
        raise ValueError(f"WeChat accounts: {exc}") from None
    seen: set[str] = set()
    for account in accounts:
        if account.id in seen:
            raise ValueError(f"WeChat accounts: the id {account.id!r} is used twice")
        seen.add(account.id)
    return accounts


def load_accounts(path: Path) -> list[WeChatAccount]:
    """The accounts in a YAML or JSON file; ValueError says what is wrong (never the secrets)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not YAML or JSON ({exc.__class__.__name__})") from None
    return parse_accounts(data)
