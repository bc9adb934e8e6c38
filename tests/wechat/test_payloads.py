"""WeChat callback XML: every public sample parses to exact values; hostile or broken bodies are refused."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from connectors.wechat.crypto import WeChatCrypto
from connectors.wechat.payloads import (
    MAX_BODY_BYTES,
    Article,
    Click,
    Envelope,
    Image,
    Link,
    Location,
    LocationReport,
    PayloadError,
    Scan,
    Subscribe,
    Text,
    Unknown,
    Unsubscribe,
    Video,
    View,
    Voice,
    dedupe_key,
    encrypted_reply,
    news_reply,
    parse_callback,
    parse_encrypted,
    text_reply,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).parents[2].parent / "shared" / "eval" / "wechat"
SHARED_MISSING = f"the shared WeChat samples are not checked out next to the repository ({SHARED})"

TEXT = Text(
    to_user="toUser", from_user="fromUser", create_time=1348831860, msg_type="text", msg_id=1234567890123456,
    content="this is a test",
)
QR_SUBSCRIBE = Subscribe(
    to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="subscribe",
    event_key="qrscene_123123", scene="123123", ticket="TICKET",
)
CLICK = Click(
    to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="CLICK", key="EVENTKEY"
)
VIEW = View(
    to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="VIEW", url="www.qq.com"
)
EXPECTED: dict[str, Envelope] = {
    "test_parser__test_parse_text_message.xml": TEXT,
    "test_parser__test_parse_image_message.xml": Image(
        to_user="toUser", from_user="fromUser", create_time=1348831860, msg_type="image", msg_id=1234567890123456,
        pic_url="this is a url", media_id="media_id",
    ),
    "test_parser__test_parse_voice_message.xml": Voice(
        to_user="toUser", from_user="fromUser", create_time=1357290913, msg_type="voice", msg_id=1234567890123456,
        media_id="media_id", format="Format", recognition=None,
    ),
    "voice_with_recognition_official_doc.xml": Voice(
        to_user="toUser", from_user="fromUser", create_time=1357290913, msg_type="voice", msg_id=1234567890123456,
        media_id="media_id", format="Format", recognition="腾讯微信团队",
    ),
    "test_parser__test_parse_video_message.xml": Video(
        to_user="toUser", from_user="fromUser", create_time=1357290913, msg_type="video", msg_id=1234567890123456,
        media_id="media_id", thumb_media_id="thumb_media_id",
    ),
    "test_parser__test_parse_location_message.xml": Location(
        to_user="toUser", from_user="fromUser", create_time=1351776360, msg_type="location", msg_id=1234567890123456,
        latitude=23.134521, longitude=113.358803, scale=20, label="位置信息",
    ),
    "test_parser__test_parse_link_message.xml": Link(
        to_user="toUser", from_user="fromUser", create_time=1351776360, msg_type="link", msg_id=1234567890123456,
        title="公众平台官网链接", description="公众平台官网链接", url="url",
    ),
    "test_parser__test_parse_subscribe_event.xml": Subscribe(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="subscribe"
    ),
    "test_events__test_subscribe_event.xml": Subscribe(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="subscribe"
    ),
    "test_parser__test_parse_subscribe_event_with_last_trade_no.xml": Subscribe(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="subscribe",
        event_key="last_trade_no_4008072001201701105817415015",
    ),
    "test_parser__test_parse_subscribe_scan_event.xml": QR_SUBSCRIBE,
    "test_events__test_subscribe_scan_event.xml": QR_SUBSCRIBE,
    "test_parser__test_parse_subscribe_scan_product_event.xml": Subscribe(
        to_user="gh_fbe8a958756e", from_user="otAzGjrS4AYCmeJM1GhEOcHXXTAo", create_time=1433259128,
        msg_type="event", event="subscribe", event_key="scanbarcode|keystandard|keystr",
    ),
    "test_parser__test_parse_subscribe_scan_product_event_2.xml": Subscribe(
        to_user="gh_fbe8a958756e", from_user="otAzGjrS4AYCmeJM1GhEOcHXXTAo", create_time=1433259128,
        msg_type="event", event="subscribe", event_key="scanimage|keystandard|keystr",
    ),
    "test_events__test_unsubscribe_event.xml": Unsubscribe(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="unsubscribe"
    ),
    "test_parser__test_parse_scan_event.xml": Scan(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="SCAN",
        scene="123123", ticket="TICKET",
    ),
    "test_events__test_scan_event.xml": Scan(
        to_user="toUser", from_user="FromUser", create_time=123456789, msg_type="event", event="SCAN",
        scene="SCENE_VALUE", ticket="TICKET",
    ),
    "test_parser__test_parse_location_event.xml": LocationReport(
        to_user="toUser", from_user="fromUser", create_time=123456789, msg_type="event", event="LOCATION",
        latitude=23.137466, longitude=113.352425, precision=119.38504,
    ),
    "test_events__test_location_event.xml": LocationReport(
        to_user="toUser", from_user="fromUser", create_time=123456789, msg_type="event", event="LOCATION",
        latitude=23.137466, longitude=113.352425, precision=119.38504,
    ),
    "test_parser__test_parse_click_event.xml": CLICK,
    "test_events__test_click_event.xml": CLICK,
    "test_parser__test_parse_view_event.xml": VIEW,
    "test_events__test_view_event.xml": VIEW,
}
FIXTURE_FILES = sorted(path.name for path in FIXTURES.glob("*.xml"))


def _shared_index() -> list[Any]:
    if not SHARED.is_dir():
        return [pytest.param({}, marks=pytest.mark.skip(reason=SHARED_MISSING))]
    return list(json.loads((SHARED / "messages_wechatpy" / "index.json").read_text("utf-8")))


def _body(**fields: str) -> str:
    """A text message with some elements replaced (a value) or left out (an empty string)."""
    base = {"ToUserName": "gh_1", "FromUserName": "openid", "CreateTime": "1700000000", "MsgType": "text",
            "Content": "hi", "MsgId": "42"} | fields
    return "<xml>" + "".join(f"<{tag}>{value}</{tag}>" for tag, value in base.items() if value) + "</xml>"


def _event(event: str, **extra: str) -> str:
    return _body(MsgType="event", Content="", MsgId="", Event=event, **extra)


def test_fixtures_hold_the_representative_samples() -> None:
    assert len(FIXTURE_FILES) == 8
    assert set(FIXTURE_FILES) - {"test_parser__test_parse_unknown_message.xml"} <= set(EXPECTED)


@pytest.mark.parametrize("name", [n for n in FIXTURE_FILES if n in EXPECTED])
def test_fixture_samples_parse_to_their_exact_values(name: str) -> None:
    assert parse_callback((FIXTURES / name).read_bytes()) == EXPECTED[name]


def test_unknown_message_type_keeps_its_type_id_and_raw_xml() -> None:
    raw = (FIXTURES / "test_parser__test_parse_unknown_message.xml").read_text("utf-8")
    assert parse_callback(raw) == Unknown(
        to_user="toUser", from_user="fromUser", create_time=1348831860, msg_type="notsure", msg_id=1234567890123456,
        raw_xml=raw,
    )


@pytest.mark.parametrize("entry", _shared_index(), ids=lambda entry: str(entry.get("file", "absent")))
def test_every_shared_wechatpy_sample_parses_to_its_type_and_values(entry: dict[str, str | None]) -> None:
    raw = (SHARED / "messages_wechatpy" / str(entry["file"])).read_text("utf-8")
    parsed = parse_callback(raw.encode("utf-8"))
    assert parsed.msg_type == entry["MsgType"]
    if entry["file"] in EXPECTED:
        assert parsed == EXPECTED[str(entry["file"])]
    else:
        assert isinstance(parsed, Unknown)
        assert (parsed.event, parsed.raw_xml) == (entry["Event"], raw)


@pytest.mark.skipif(not SHARED.is_dir(), reason=SHARED_MISSING)
def test_shared_official_voice_sample_carries_the_recognition() -> None:
    name = "voice_with_recognition_official_doc.xml"
    assert parse_callback((SHARED / name).read_bytes()) == EXPECTED[name]


def test_bytes_and_text_bodies_parse_alike() -> None:
    raw = _body(Content="<![CDATA[转人工 & <客服>]]>")
    assert parse_callback(raw) == parse_callback(raw.encode("utf-8"))
    assert isinstance(parsed := parse_callback(raw), Text) and parsed.content == "转人工 & <客服>"


def test_shortvideo_is_a_video_with_its_own_type() -> None:
    parsed = parse_callback(_body(MsgType="shortvideo", Content="", MediaId="m", ThumbMediaId="t"))
    assert isinstance(parsed, Video) and parsed.msg_type == "shortvideo"


def test_subscribe_with_an_empty_event_key_has_no_scene() -> None:
    parsed = parse_callback(_event("subscribe").replace("</xml>", "<EventKey><![CDATA[]]></EventKey></xml>"))
    assert isinstance(parsed, Subscribe) and (parsed.event_key, parsed.scene) == (None, None)


def test_a_scene_element_in_the_body_cannot_forge_the_derived_scene() -> None:
    parsed = parse_callback(_event("subscribe", EventKey="plain", scene="forged"))
    assert isinstance(parsed, Subscribe) and parsed.scene is None


@pytest.mark.parametrize("event", ["scan", "Click", "VIEW"])
def test_event_names_match_whatever_their_case(event: str) -> None:
    assert not isinstance(parse_callback(_event(event, EventKey="k")), Unknown)


def test_unknown_event_keeps_its_name_and_raw_xml() -> None:
    raw = _event("kf_create_session", KfAccount="test1@test")
    assert parse_callback(raw) == Unknown(
        to_user="gh_1", from_user="openid", create_time=1700000000, msg_type="event", event="kf_create_session",
        raw_xml=raw,
    )


DTD_ATTACKS = {
    "external entity": '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><MsgType>text</MsgType><Content>&xxe;</Content></xml>",
    "billion laughs": '<!DOCTYPE xml [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;</Content></xml>',
    "bare doctype": "<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>",
    "external dtd": '<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd"><xml/>',
    "doctype behind a comment that opens a CDATA": "<!-- <![CDATA[ --><!DOCTYPE xml [<!ENTITY x 'y'>]>"
    "<!-- ]]> --><xml><Content>&x;</Content></xml>",
}


@pytest.mark.parametrize("body", DTD_ATTACKS.values(), ids=DTD_ATTACKS.keys())
def test_doctype_and_entity_declarations_are_refused(body: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_callback(body.encode("utf-8"))
    assert raised.value.code == "forbidden_dtd"


def test_doctype_text_inside_a_customer_message_is_just_text() -> None:
    parsed = parse_callback(_body(Content="<![CDATA[<!DOCTYPE html><!ENTITY x 'y'>]]>"))
    assert isinstance(parsed, Text) and parsed.content == "<!DOCTYPE html><!ENTITY x 'y'>"


def test_undeclared_entity_is_bad_xml() -> None:
    with pytest.raises(PayloadError) as raised:
        parse_callback(_body(Content="&xxe;"))
    assert raised.value.code == "bad_xml"


def test_body_over_the_size_limit_is_refused_before_parsing() -> None:
    body = _body(Content="x" * MAX_BODY_BYTES)
    with pytest.raises(PayloadError) as raised:
        parse_callback(body.encode("utf-8"))
    assert raised.value.code == "too_large"


def test_text_body_is_measured_in_utf8_bytes() -> None:
    body = _body(Content="中" * (MAX_BODY_BYTES // 3 + 1))
    assert len(body) < MAX_BODY_BYTES
    with pytest.raises(PayloadError) as raised:
        parse_callback(body)
    assert raised.value.code == "too_large"


def test_body_exactly_at_the_size_limit_is_accepted() -> None:
    filler = MAX_BODY_BYTES - len(_body(Content="x").encode("utf-8")) + 1
    body = _body(Content="x" * filler).encode("utf-8")
    assert len(body) == MAX_BODY_BYTES
    assert isinstance(parse_callback(body), Text)


@pytest.mark.parametrize("body", ["", "not xml", "<xml><Content>open</xml>", "<xml></xml><xml></xml>", b"\xff\xfe<"])
def test_malformed_body_is_bad_xml(body: str | bytes) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_callback(body)
    assert raised.value.code == "bad_xml"


def test_root_element_other_than_xml_is_refused() -> None:
    with pytest.raises(PayloadError, match="root element"):
        parse_callback(_body().replace("xml>", "message>"))


@pytest.mark.parametrize(("body", "field"), [
    (_body(Content=""), "Content"),
    (_body(MsgId=""), "MsgId"),
    (_body(FromUserName=""), "FromUserName"),
    (_body(MsgType=""), "MsgType"),
    (_body(MsgType="image", PicUrl="u"), "MediaId"),
    (_event("CLICK"), "EventKey"),
    (_event("VIEW"), "EventKey"),
    (_event("LOCATION", Latitude="23.1", Longitude="113.3"), "Precision"),
    (_event("kf_close_session", CreateTime=""), "CreateTime"),
])
def test_missing_required_field_is_named_in_a_parse_error(body: str, field: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_callback(body)
    assert raised.value.code == "missing_field"
    assert f"`{field}`" in raised.value.detail


@pytest.mark.parametrize(("body", "field"), [
    (_body(CreateTime="yesterday"), "CreateTime"),
    (_body(CreateTime="-1"), "CreateTime"),
    (_body(MsgId="abc"), "MsgId"),
    (_event("LOCATION", Latitude="123.0", Longitude="113.3", Precision="10"), "Latitude"),
    (_body(MsgType="location", Location_X="23", Location_Y="113", Scale="big"), "Scale"),
])
def test_field_with_an_invalid_value_is_named_in_a_parse_error(body: str, field: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_callback(body)
    assert raised.value.code == "invalid_field"
    assert f"`{field}`" in raised.value.detail


def test_message_dedupe_key_is_its_msg_id() -> None:
    assert dedupe_key(parse_callback((FIXTURES / "test_parser__test_parse_text_message.xml").read_bytes())) == (
        "msg:1234567890123456"
    )


def test_event_dedupe_key_is_sender_time_and_event() -> None:
    assert dedupe_key(parse_callback((FIXTURES / "test_events__test_click_event.xml").read_bytes())) == (
        "evt:FromUser:123456789:CLICK"
    )


def test_unknown_types_dedupe_by_msg_id_when_they_have_one_else_by_event() -> None:
    assert dedupe_key(parse_callback((FIXTURES / "test_parser__test_parse_unknown_message.xml").read_bytes())) == (
        "msg:1234567890123456"
    )
    assert dedupe_key(parse_callback(_event("kf_close_session"))) == "evt:openid:1700000000:kf_close_session"


def test_a_retried_callback_has_the_same_dedupe_key_and_a_new_one_does_not() -> None:
    first, retry = parse_callback(_event("subscribe")), parse_callback(_event("subscribe"))
    later = parse_callback(_event("subscribe", CreateTime="1700000001"))
    assert dedupe_key(first) == dedupe_key(retry) != dedupe_key(later)


def test_safe_mode_envelope_yields_its_encrypt_part() -> None:
    body = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[c2VjcmV0]]></Encrypt></xml>"
    assert parse_encrypted(body.encode("utf-8")).encrypt == "c2VjcmV0"
    assert parse_encrypted(body).to_user == "gh_1"


def test_compat_mode_envelope_yields_its_encrypt_part_beside_the_plaintext() -> None:
    body = _body(Encrypt="<![CDATA[c2VjcmV0]]>")
    assert parse_encrypted(body).encrypt == "c2VjcmV0"
    assert parse_callback(body) == Text(
        to_user="gh_1", from_user="openid", create_time=1700000000, msg_type="text", msg_id=42, content="hi"
    )


def test_envelope_without_encrypt_is_a_parse_error() -> None:
    with pytest.raises(PayloadError) as raised:
        parse_encrypted(_body())
    assert (raised.value.code, "`Encrypt`" in raised.value.detail) == ("missing_field", True)


def test_envelope_with_a_doctype_is_refused() -> None:
    with pytest.raises(PayloadError, match="DOCTYPE"):
        parse_encrypted(DTD_ATTACKS["external entity"])


def _fields_of(reply: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ET.fromstring(reply)}


def test_text_reply_reads_back_with_the_same_values() -> None:
    reply = text_reply("openid", "gh_1", "您好！", 1700000000)
    assert reply.startswith("<xml><ToUserName><![CDATA[openid]]></ToUserName><FromUserName><![CDATA[gh_1]]>")
    assert _fields_of(reply) == {
        "ToUserName": "openid", "FromUserName": "gh_1", "CreateTime": "1700000000", "MsgType": "text",
        "Content": "您好！",
    }


@pytest.mark.parametrize("content", ["a]]>b", "]]>", "]]>]]>", "x]]]]>y", "<![CDATA[nested]]>", "a & <b> ]] >"])
def test_cdata_terminator_inside_text_survives_the_reply(content: str) -> None:
    assert _fields_of(text_reply("openid", "gh_1", content, 1))["Content"] == content


def test_characters_xml_cannot_carry_are_dropped_from_a_reply() -> None:
    assert _fields_of(text_reply("openid", "gh_1", "a\x00b\x0bc\ufffed\te", 1))["Content"] == "abcd\te"


def test_news_reply_lists_its_articles_in_order() -> None:
    articles = [Article(title="退货政策", description="七天无理由", pic_url="https://x/p.png", url="https://x/a"),
                Article(title="A]]>B")]
    root = ET.fromstring(news_reply("openid", "gh_1", articles, 1700000000))
    assert (root.findtext("MsgType"), root.findtext("ArticleCount")) == ("news", "2")
    items = [{child.tag: child.text or "" for child in item} for item in root.iterfind("Articles/item")]
    assert items == [
        {"Title": "退货政策", "Description": "七天无理由", "PicUrl": "https://x/p.png", "Url": "https://x/a"},
        {"Title": "A]]>B", "Description": "", "PicUrl": "", "Url": ""},
    ]


@pytest.mark.parametrize("count", [0, 9])
def test_news_reply_needs_one_to_eight_articles(count: int) -> None:
    with pytest.raises(ValueError, match="1 to 8"):
        news_reply("openid", "gh_1", [Article(title="t")] * count, 1)


def test_encrypted_reply_envelope_round_trips_through_the_crypto() -> None:
    crypto = WeChatCrypto("hubtoken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx0123456789abcdef")
    inner = text_reply("openid", "gh_1", "转人工]]>好的", 1700000000)
    encrypted, signature = crypto.encrypt(inner, "nonce1", "1700000000")
    envelope = encrypted_reply(encrypted, signature, "1700000000", "nonce1")
    assert _fields_of(envelope) == {
        "Encrypt": encrypted, "MsgSignature": signature, "TimeStamp": "1700000000", "Nonce": "nonce1"
    }
    opened = crypto.decrypt(parse_encrypted(envelope).encrypt, signature, "1700000000", "nonce1")
    assert _fields_of(opened)["Content"] == "转人工]]>好的"


def test_encrypted_reply_refuses_a_timestamp_that_is_not_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        encrypted_reply("e", "s", "<now>", "n")
