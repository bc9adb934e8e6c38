"""Every WeChat message type in the hub's terms: what the bot and the agent read, and the details kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.wechat.inbound import address, inbound, menu_inbound, openid_of
from connectors.wechat.payloads import Message, Unknown, parse_callback
from hub.models import Channel

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = ("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[openid-1]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime>")


def _message(xml: str) -> Message | Unknown:
    parsed = parse_callback(xml)
    assert isinstance(parsed, Message | Unknown)
    return parsed


@pytest.mark.parametrize(("body", "text", "meta", "readable"), [
    ("<MsgType>text</MsgType><Content>你好</Content>", "你好", {}, True),
    ("<MsgType>voice</MsgType><MediaId>m1</MediaId><Format>amr</Format><Recognition>营业时间</Recognition>",
     "营业时间", {"wechat_type": "voice", "media_id": "m1", "format": "amr", "recognition": "wechat"}, True),
    ("<MsgType>voice</MsgType><MediaId>m1</MediaId><Format>amr</Format>",
     "[voice]", {"wechat_type": "voice", "media_id": "m1", "format": "amr"}, False),
    ("<MsgType>image</MsgType><PicUrl>http://p/1.jpg</PicUrl><MediaId>m2</MediaId>",
     "[image]", {"wechat_type": "image", "pic_url": "http://p/1.jpg", "media_id": "m2"}, False),
    ("<MsgType>shortvideo</MsgType><MediaId>m3</MediaId><ThumbMediaId>t3</ThumbMediaId>",
     "[shortvideo]", {"wechat_type": "shortvideo", "media_id": "m3", "thumb_media_id": "t3"}, False),
    ("<MsgType>location</MsgType><Location_X>31.2</Location_X><Location_Y>121.5</Location_Y><Scale>15</Scale>"
     "<Label>浦东机场</Label>", "[location] 浦东机场 (31.2, 121.5)",
     {"wechat_type": "location", "latitude": "31.2", "longitude": "121.5", "scale": "15", "label": "浦东机场"}, False),
    ("<MsgType>link</MsgType><Title>航班</Title><Description>d</Description><Url>https://x/1</Url>",
     "[link] 航班 https://x/1", {"wechat_type": "link", "title": "航班", "description": "d", "url": "https://x/1"},
     False),
])
def test_each_message_type_has_its_text_and_details(body: str, text: str, meta: dict[str, str],
                                                     readable: bool) -> None:
    made = inbound(_message(f"{HEAD}{body}<MsgId>42</MsgId></xml>"), "conv-1", "contact-1")
    assert (made.text, made.meta, made.readable) == (text, meta, readable)
    assert made.channel is Channel.WECHAT and made.conversation_id == "conv-1" and made.contact_id == "contact-1"
    assert made.external_id == "gh_1:42"  # MsgIds are per account: a resend dedupes in the store


def test_an_unknown_type_keeps_its_raw_xml_for_the_agent() -> None:
    xml = (FIXTURES / "test_parser__test_parse_unknown_message.xml").read_text()
    made = inbound(_message(xml), "c", "k")
    assert made.text.startswith("[unsupported WeChat message: ") and not made.readable
    assert made.meta["raw_xml"] == xml


def test_a_menu_key_stands_for_a_question_or_a_queue() -> None:
    asked = menu_inbound("HOURS", "营业时间是几点", None, "c", "k")
    assert (asked.text, asked.queue_id, asked.meta) == ("营业时间是几点", None, {"wechat_type": "menu", "key": "HOURS"})
    person = menu_inbound("PERSON", None, "billing", "c", "k")
    assert (person.text, person.queue_id) == ("[menu] PERSON", "billing")


def test_an_address_names_the_account_and_the_follower() -> None:
    assert address("wx1", "o_x:y") == "wx1:o_x:y"
    assert openid_of("wx1:o_x:y") == ("wx1", "o_x:y")

