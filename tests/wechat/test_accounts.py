"""The WeChat accounts file (HUB_WECHAT_FILE): what is accepted, and clear errors for the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.wechat.accounts import load_accounts, parse_accounts

GOOD: dict[str, Any] = {"id": "main", "appid": "wx1", "secret": "s3cr3t-value", "token": "tok123"}


def test_the_documented_accounts_file_is_valid() -> None:
    accounts = load_accounts(Path(__file__).resolve().parents[2] / "docs" / "wechat.example.yaml")
    assert [a.id for a in accounts] == ["airport", "hotline"]
    assert accounts[0].mode == "safe" and accounts[0].menu["LOST_PROPERTY"].queue == "general"
    assert accounts[0].menu["FLIGHT_STATUS"].text == "航班动态怎么查" and accounts[1].mode == "plain"


def test_defaults_are_plain_mode_with_a_four_second_budget() -> None:
    (account,) = parse_accounts([GOOD])
    assert (account.mode, account.reply_budget_s, account.locale) == ("plain", 4.0, "zh-CN")


@pytest.mark.parametrize(("change", "complaint"), [
    ({"mode": "safe"}, "safe mode needs its encoding_aes_key"),
    ({"encoding_aes_key": "short"}, "encoding_aes_key"),
    ({"token": "has space"}, "token"),
    ({"reply_budget_s": 5}, "reply_budget_s"),
    ({"menu": {"K": {"text": "a", "queue": "b"}}}, "a text or to a queue"),
    ({"id": "../etc"}, "id"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_account_is_refused_with_what_is_wrong(change: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match="WeChat accounts") as refused:
        parse_accounts([{**GOOD, **change}])
    assert complaint in str(refused.value) and "s3cr3t-value" not in str(refused.value)


def test_an_account_id_is_used_once() -> None:
    with pytest.raises(ValueError, match="used twice"):
        parse_accounts({"accounts": [GOOD, {**GOOD, "appid": "wx2"}]})


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No such file"):
        load_accounts(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("accounts: [\n")
    with pytest.raises(ValueError, match="not YAML or JSON"):
        load_accounts(broken)
